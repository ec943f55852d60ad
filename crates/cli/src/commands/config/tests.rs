//! The configuration's layers, checks and printing, each against figment's
//! `Jail` (a temporary directory and environment).

use figment::Jail;

use super::*;

fn args(file: Option<&str>) -> ConfigArgs {
    ConfigArgs {
        config: file.map(PathBuf::from),
        unit: Some("410411".to_owned()),
        insecure: true,
        ..ConfigArgs::default()
    }
}

fn error(result: Result<Loaded>) -> String {
    format!("{:#}", result.expect_err("the config must be refused"))
}

#[test]
fn each_layer_overrides_the_one_before() {
    Jail::expect_with(|jail| {
        let defaults = load(&args(None)).unwrap();
        assert_eq!(defaults.config.limits.max_in_flight, Limits::default().max_in_flight);
        assert_eq!(defaults.origin("limits.max_in_flight"), "built-in defaults");

        jail.create_file("node.toml", "[limits]\nmax_in_flight = 10\nrate_limit = 7\n")?;
        let file = load(&args(Some("node.toml"))).unwrap();
        assert_eq!(file.config.limits.max_in_flight, 10);
        assert!(
            file.origin("limits.max_in_flight").starts_with("TOML file "),
            "{}",
            file.origin("limits.max_in_flight")
        );
        assert!(file.origin("limits.max_in_flight").ends_with("node.toml"));

        jail.set_env("FENGQIAO__LIMITS__MAX_IN_FLIGHT", "20");
        let env = load(&args(Some("node.toml"))).unwrap();
        assert_eq!(env.config.limits.max_in_flight, 20);
        assert_eq!(
            env.origin("limits.max_in_flight"),
            "environment variable FENGQIAO__LIMITS__MAX_IN_FLIGHT"
        );
        assert_eq!(env.config.limits.rate_limit, 7, "the file's other keys stay");

        jail.set_env("FENGQIAO__RANKING__ON_TIME_CLOSURE", "40");
        let ranked = load(&args(Some("node.toml"))).unwrap();
        assert_eq!(ranked.config.ranking.weights().on_time_closure, 40);
        assert_eq!(
            ranked.origin("ranking.on_time_closure"),
            "environment variable FENGQIAO__RANKING__ON_TIME_CLOSURE"
        );
        assert!(
            ranked
                .to_toml()
                .contains("on_time_closure = 40  # environment variable FENGQIAO__RANKING__ON_TIME_CLOSURE"),
            "{}",
            ranked.to_toml()
        );
        assert_eq!(defaults.config.ranking.weights(), Weights::default());
        let flags = load(&ConfigArgs { max_in_flight: Some(30), ..args(Some("node.toml")) }).unwrap();
        assert_eq!(flags.config.limits.max_in_flight, 30);
        assert_eq!(flags.origin("limits.max_in_flight"), "command-line flags");
        assert_eq!(flags.config.limits.rate_limit, 7);
        Ok(())
    });
}

#[test]
fn the_unit_may_come_from_the_environment_as_a_number() {
    Jail::expect_with(|jail| {
        jail.set_env("FENGQIAO__NODE__UNIT", "410411001");
        jail.set_env("FENGQIAO__NODE__CHILD_NODES", "410411001001");
        jail.set_env("FENGQIAO__TLS__INSECURE", "true");
        let loaded = load(&ConfigArgs::default()).unwrap();
        assert_eq!(loaded.unit(), "410411001");
        assert_eq!(loaded.config.node.child_nodes.as_deref(), Some("410411001001"));
        assert_eq!(loaded.database_url(), "sqlite://fengqiao-410411001.db");
        jail.create_file("n.toml", "[node]\nunit = 410411\n")?;
        jail.clear_env();
        let loaded =
            load(&ConfigArgs { config: Some("n.toml".into()), insecure: true, ..Default::default() })
                .unwrap();
        assert_eq!(loaded.unit(), "410411");
        Ok(())
    });
}

#[test]
fn reconciliation_keys_are_layered_and_checked() {
    Jail::expect_with(|jail| {
        let defaults = load(&args(None)).unwrap();
        assert_eq!(defaults.reconcile().interval, Duration::from_secs(600));
        assert_eq!(defaults.reconcile().max_days, 366);
        jail.create_file("node.toml", "[reconcile]\ninterval_secs = 0\nmax_days = 30\n")?;
        let file = load(&args(Some("node.toml"))).unwrap();
        assert_eq!(file.reconcile().interval, Duration::ZERO, "0: no periodic exchange");
        assert_eq!(file.reconcile().max_days, 30);
        let flags = ConfigArgs { reconcile_interval_secs: Some(60), ..args(Some("node.toml")) };
        let flags = load(&flags).unwrap();
        assert_eq!(flags.reconcile().interval, Duration::from_secs(60));
        assert_eq!(flags.origin("reconcile.interval_secs"), "command-line flags");
        assert!(flags.to_toml().contains("[reconcile]\ninterval_secs = 60  # command-line flags"));
        jail.set_env("FENGQIAO__RECONCILE__INTERVAL_SECS", "5");
        assert_eq!(
            error(load(&args(None))),
            "configuration: reconcile.interval_secs (environment variable FENGQIAO__RECONCILE__INTERVAL_SECS): \
             must be 0 (off) or between 10 and 604800 seconds"
        );
        Ok(())
    });
}

#[test]
fn bad_values_are_refused_naming_the_key_and_where_it_came_from() {
    Jail::expect_with(|jail| {
        jail.create_file("typo.toml", "[limits]\nmax_inflight = 10\n")?;
        let message = error(load(&args(Some("typo.toml"))));
        assert!(message.contains("max_inflight") && message.contains("typo.toml"), "{message}");

        jail.create_file("section.toml", "[metric]\nlisten = \"127.0.0.1:9400\"\n")?;
        let message = error(load(&args(Some("section.toml"))));
        assert!(message.contains("metric"), "{message}");

        jail.create_file("type.toml", "[limits]\nmax_in_flight = \"many\"\n")?;
        let message = error(load(&args(Some("type.toml"))));
        assert!(message.contains("max_in_flight") && message.contains("type.toml"), "{message}");

        jail.set_env("FENGQIAO__LIMITS__MAX_IN_FLIGHT", "0");
        let message = error(load(&args(None)));
        assert_eq!(
            message,
            "configuration: limits.max_in_flight (environment variable FENGQIAO__LIMITS__MAX_IN_FLIGHT): must be at least 1"
        );
        jail.clear_env();

        let message = error(load(&ConfigArgs { cutoff: Some("25:00".into()), ..args(None) }));
        assert!(message.starts_with("configuration: time.cutoff (command-line flags)"), "{message}");
        let message = error(load(&ConfigArgs { time_zone: Some("Mars/Olympus".into()), ..args(None) }));
        assert!(message.starts_with("configuration: time.zone (command-line flags)"), "{message}");
        let message = error(load(&ConfigArgs { unit: Some("41/x".into()), ..args(None) }));
        assert!(message.starts_with("configuration: node.unit (command-line flags)"), "{message}");
        let message = error(load(&ConfigArgs { listen: Some("7400".into()), ..args(None) }));
        assert!(message.contains("node.listen"), "{message}");
        let message =
            error(load(&ConfigArgs { metrics_listen: Some("127.0.0.1:7400".into()), ..args(None) }));
        assert!(message.contains("metrics.listen") && message.contains("differ"), "{message}");
        let message = error(load(&ConfigArgs { web_listen: Some("127.0.0.1:7400".into()), ..args(None) }));
        assert!(message.contains("web.listen") && message.contains("differ"), "{message}");
        let message = error(load(&ConfigArgs { web_listen: Some("7480".into()), ..args(None) }));
        assert!(message.contains("web.listen"), "{message}");
        let message = error(load(&ConfigArgs {
            web_listen: Some("127.0.0.1:7480".into()),
            public_listen: Some("127.0.0.1:7480".into()),
            ..args(None)
        }));
        assert!(message.contains("public.listen") && message.contains("differ"), "{message}");
        let message =
            error(load(&ConfigArgs { public_url: Some("xf.example.gov.cn/track".into()), ..args(None) }));
        assert!(message.contains("public.url"), "{message}");
        let message = error(load(&ConfigArgs { db: Some("mysql://x".into()), ..args(None) }));
        assert!(message.contains("database.url"), "{message}");
        let message = error(load(&ConfigArgs { child_nodes: Some("all,4104".into()), ..args(None) }));
        assert!(message.contains("node.child_nodes"), "{message}");
        let message = error(load(&ConfigArgs { otlp_endpoint: Some("collector:4317".into()), ..args(None) }));
        assert!(message.contains("trace.otlp_endpoint"), "{message}");
        let message = error(load(&ConfigArgs { log_filter: Some("info,[".into()), ..args(None) }));
        assert!(message.contains("log.filter"), "{message}");
        let message = error(load(&ConfigArgs { start_date: Some("2026-02-30".into()), ..args(None) }));
        assert!(message.starts_with("configuration: reporting.start_date (command-line flags)"), "{message}");
        let message = error(load(&ConfigArgs { max_clock_skew_secs: Some(3601), ..args(None) }));
        assert!(
            message.starts_with("configuration: time.max_clock_skew_secs (command-line flags)"),
            "{message}"
        );
        let message = error(load(&ConfigArgs { accept_days: Some(0), ..args(None) }));
        assert!(message.contains("cases.accept_days"), "{message}");
        jail.create_file("heavy.toml", "[ranking]\nsatisfaction = 1001\n")?;
        let message = error(load(&args(Some("heavy.toml"))));
        assert!(
            message.starts_with("configuration: ranking.satisfaction (TOML file ")
                && message.ends_with("heavy.toml): must be at most 1000"),
            "{message}"
        );
        jail.create_file(
            "weightless.toml",
            "[ranking]\ncompleteness = 0\ntimeliness = 0\ndispute_resolution = 0\n\
             on_time_acceptance = 0\non_time_closure = 0\nrepeat_petitions = 0\nsatisfaction = 0\n",
        )?;
        let message = error(load(&args(Some("weightless.toml"))));
        assert!(message.contains("ranking.completeness") && message.contains("above 0"), "{message}");
        jail.create_file("ranking-typo.toml", "[ranking]\nsatisfied = 3\n")?;
        let message = error(load(&args(Some("ranking-typo.toml"))));
        assert!(message.contains("satisfied") && message.contains("ranking-typo.toml"), "{message}");
        let message = error(load(&ConfigArgs { unit: None, ..args(None) }));
        assert!(message.contains("missing node.unit: pass --unit"), "{message}");
        let message = error(load(&args(Some("missing.toml"))));
        assert!(message.contains("missing.toml") && message.contains("does not exist"), "{message}");
        Ok(())
    });
}

#[test]
fn connection_limits_are_keys_like_any_other_and_checked_against_each_other() {
    Jail::expect_with(|jail| {
        jail.create_file(
            "node.toml",
            "[limits]\nmax_connections = 32\nreserved_connections = 8\nidle_timeout_secs = 60\n",
        )?;
        jail.set_env("FENGQIAO__LIMITS__MAX_CONNECTIONS_PER_SOURCE", "12");
        let loaded =
            load(&ConfigArgs { handshake_timeout_secs: Some(3), ..args(Some("node.toml")) }).unwrap();
        let limits = loaded.limits();
        assert_eq!(
            (limits.max_connections, limits.reserved_connections, limits.max_connections_per_source),
            (32, 8, 12)
        );
        assert_eq!(limits.idle_timeout, Duration::from_secs(60));
        assert_eq!(limits.handshake_timeout, Duration::from_secs(3));
        assert!(loaded.origin("limits.reserved_connections").ends_with("node.toml"));
        assert_eq!(
            loaded.origin("limits.max_connections_per_source"),
            "environment variable FENGQIAO__LIMITS__MAX_CONNECTIONS_PER_SOURCE"
        );
        let printed = loaded.to_toml();
        for line in [
            "reserved_connections = 8  # TOML file",
            "max_connections_per_source = 12  # environment variable",
            "idle_timeout_secs = 60  # TOML file",
            "handshake_timeout_secs = 3  # command-line flags",
        ] {
            assert!(printed.contains(line), "{line} in {printed}");
        }

        let message = error(load(&ConfigArgs { reserved_connections: Some(32), ..args(Some("node.toml")) }));
        assert!(
            message.starts_with(
                "configuration: limits.reserved_connections (command-line flags): must be below"
            ),
            "{message}"
        );
        jail.set_env("FENGQIAO__LIMITS__MAX_CONNECTIONS_PER_SOURCE", "33");
        let message = error(load(&args(Some("node.toml"))));
        assert!(
            message.starts_with(
                "configuration: limits.max_connections_per_source (environment variable FENGQIAO__LIMITS__MAX_CONNECTIONS_PER_SOURCE)"
            ),
            "{message}"
        );
        jail.clear_env();
        let message = error(load(&ConfigArgs { idle_timeout_secs: Some(0), ..args(None) }));
        assert!(message.contains("limits.idle_timeout_secs"), "{message}");
        Ok(())
    });
}

#[test]
fn tls_needs_all_three_files_or_insecure_alone() {
    Jail::expect_with(|_| {
        let secure = ConfigArgs { insecure: false, ..args(None) };
        let message = error(load(&secure));
        assert!(message.contains("a node needs TLS"), "{message}");
        assert!(
            message.contains("pass --ca, --cert and --key")
                && message.contains("export FENGQIAO_CA, FENGQIAO_CERT and FENGQIAO_KEY"),
            "{message}"
        );
        let message = error(load(&ConfigArgs { ca: Some("ca.pem".into()), ..secure.clone() }));
        assert!(
            message.ends_with(
                "missing tls.cert: pass --cert, set tls.cert in the config file, or export FENGQIAO_CERT; \
                 missing tls.key: pass --key, set tls.key in the config file, or export FENGQIAO_KEY"
            ),
            "{message}"
        );
        let full = ConfigArgs {
            ca: Some("ca.pem".into()),
            cert: Some("n.pem".into()),
            key: Some("n.key".into()),
            ..secure.clone()
        };
        assert!(load(&full).is_ok());
        let message = error(load(&ConfigArgs { insecure: true, ..full.clone() }));
        assert!(message.contains("tls.insecure") && message.contains("tls.ca"), "{message}");
        let message = error(load(&ConfigArgs { parent: Some("http://10.0.0.1:7400".into()), ..full }));
        assert!(message.contains("node.parent") && message.contains("https://"), "{message}");
        Ok(())
    });
}

#[test]
fn print_shows_every_key_with_its_origin_and_hides_passwords() {
    Jail::expect_with(|jail| {
        jail.create_file("node.toml", "[database]\nurl = \"postgres://fengqiao:s3cret@db:5432/fq\"\n")?;
        let loaded = load(&args(Some("node.toml"))).unwrap();
        let text = loaded.to_toml();
        assert!(!text.contains("s3cret"), "{text}");
        assert!(text.contains("url = \"postgres://fengqiao:***@db:5432/fq\"  # TOML file"), "{text}");
        assert!(text.contains("# parent =  (not set)"), "{text}");
        assert!(text.contains("max_in_flight = 256  # built-in defaults"), "{text}");
        // The effective default of an unset key is shown, with where it comes from.
        assert!(
            text.contains(
                "tree = \"deploy/zhanhe-410411.csv\"  # default (a node without node.parent reads it)"
            ),
            "{text}"
        );
        // What is printed loads back to the same configuration, the
        // defaults it shows now given.
        jail.create_file("printed.toml", &text.replace("***", "s3cret"))?;
        let again = load(&args(Some("printed.toml"))).unwrap();
        let mut expected = loaded.config.clone();
        expected.node.tree = Some(DEFAULT_TREE.into());
        assert_eq!(serde_json::to_value(&again.config).unwrap(), serde_json::to_value(&expected).unwrap());
        assert!(again.origin("limits.max_in_flight").ends_with("printed.toml"));
        Ok(())
    });
}

#[test]
fn the_printed_key_list_matches_the_config() {
    let mut full = Config::default();
    full.node.unit = Some("410411".into());
    full.node.tree = Some("t.csv".into());
    full.node.parent = Some("https://p:7400".into());
    full.node.child_nodes = Some("all".into());
    full.database.url = Some("sqlite://x.db".into());
    full.tls.ca = Some("ca".into());
    full.tls.cert = Some("c".into());
    full.tls.key = Some("k".into());
    full.cases.auto_escalate_after_days = Some(3);
    full.reporting.start_date = Some("2026-03-01".into());
    full.cases.petitioner_secret_file = Some("s".into());
    full.personal_data.key_file = Some("k".into());
    full.metrics.listen = Some("127.0.0.1:9400".into());
    full.web.listen = Some("127.0.0.1:7480".into());
    full.public.listen = Some("127.0.0.1:7500".into());
    full.public.url = Some("https://xf.example.gov.cn/track".into());
    full.trace.otlp_endpoint = Some("http://c:4317".into());
    full.storage.raw_text_months = Some(24);
    let serde_json::Value::Object(sections) = serde_json::to_value(&full).unwrap() else { panic!() };
    let listed = all_keys();
    assert_eq!(
        sections.keys().cloned().collect::<Vec<_>>(),
        listed.keys().map(|k| k.to_string()).collect::<Vec<_>>()
    );
    for (section, fields) in sections {
        let serde_json::Value::Object(fields) = fields else { panic!() };
        let mut actual: Vec<&str> = fields.keys().map(String::as_str).collect();
        let mut expected = listed[section.as_str()].clone();
        actual.sort_unstable();
        expected.sort_unstable();
        assert_eq!(actual, expected, "section {section}");
    }
}

#[test]
fn the_start_of_reporting_is_a_date_from_any_layer() {
    Jail::expect_with(|jail| {
        let unset = load(&args(None)).unwrap();
        assert_eq!(unset.reporting_start(), None);
        assert!(unset.to_toml().contains("# start_date =  (not set)"), "{}", unset.to_toml());
        assert_eq!(unset.max_clock_skew(), Duration::from_secs(300));
        // A bare TOML date and a quoted one.
        jail.create_file("bare.toml", "[reporting]\nstart_date = 2026-03-01\n")?;
        let bare = load(&args(Some("bare.toml"))).unwrap();
        assert_eq!(bare.reporting_start(), chrono::NaiveDate::from_ymd_opt(2026, 3, 1));
        let text = bare.to_toml();
        assert!(text.contains("start_date = \"2026-03-01\"  # TOML file"), "{text}");
        jail.create_file("printed.toml", &text)?;
        assert_eq!(load(&args(Some("printed.toml"))).unwrap().reporting_start(), bare.reporting_start());
        jail.set_env("FENGQIAO__REPORTING__START_DATE", "2026-04-01");
        jail.set_env("FENGQIAO__TIME__MAX_CLOCK_SKEW_SECS", "60");
        let env = load(&args(Some("bare.toml"))).unwrap();
        assert_eq!(env.reporting_start(), chrono::NaiveDate::from_ymd_opt(2026, 4, 1));
        assert_eq!(env.max_clock_skew(), Duration::from_secs(60));
        let flags =
            load(&ConfigArgs { start_date: Some("2026-05-01".into()), ..args(Some("bare.toml")) }).unwrap();
        assert_eq!(flags.reporting_start(), chrono::NaiveDate::from_ymd_opt(2026, 5, 1));
        assert_eq!(flags.origin("reporting.start_date"), "command-line flags");
        Ok(())
    });
}

#[test]
fn urls_lose_only_their_password() {
    assert_eq!(
        redact_url("postgres://u:p@h:5432/d?sslmode=require"),
        "postgres://u:***@h:5432/d?sslmode=require"
    );
    assert_eq!(redact_url("postgres://u@h/d"), "postgres://u@h/d");
    assert_eq!(redact_url("sqlite://fengqiao.db"), "sqlite://fengqiao.db");
    assert_eq!(redact_url("postgres://u:p%40ss@h/d"), "postgres://u:***@h/d");
}

#[test]
fn the_node_reads_the_clients_tls_variables_and_flags_win() {
    Jail::expect_with(|jail| {
        let secure = ConfigArgs { insecure: false, ..args(None) };
        jail.set_env(CA.variable, "ca/ca.pem");
        let message = error(load(&secure));
        assert!(
            message.contains(
                "missing tls.cert: pass --cert, set tls.cert in the config file, or export FENGQIAO_CERT"
            ) && !message.contains("missing tls.ca"),
            "{message}"
        );
        jail.set_env(CERT.variable, "ca/node.pem");
        jail.set_env(KEY.variable, "ca/node-key.pem");
        let loaded = load(&secure).unwrap();
        assert_eq!(loaded.config.tls.ca, Some(PathBuf::from("ca/ca.pem")));
        assert_eq!(loaded.origin("tls.ca"), "environment variable FENGQIAO_CA");
        assert_eq!(loaded.origin("tls.key"), "environment variable FENGQIAO_KEY");
        let flagged = load(&ConfigArgs { cert: Some("other.pem".into()), ..secure.clone() }).unwrap();
        assert_eq!(flagged.config.tls.cert, Some(PathBuf::from("other.pem")));
        assert_eq!(flagged.origin("tls.cert"), "command-line flags");
        // A node told to serve plaintext leaves the variables to the clients of the shell.
        let plaintext = load(&args(None)).unwrap();
        assert!(plaintext.config.tls.insecure && plaintext.config.tls.ca.is_none());
        jail.create_file("plain.toml", "[tls]\ninsecure = true\n")?;
        let from_file = load(&ConfigArgs { config: Some("plain.toml".into()), ..secure.clone() }).unwrap();
        assert!(from_file.config.tls.ca.is_none());
        Ok(())
    });
}

#[test]
fn a_missing_unit_names_flag_key_and_variable() {
    Jail::expect_with(|_| {
        let message = error(load(&ConfigArgs { unit: None, ..args(None) }));
        assert_eq!(
            message,
            "configuration: missing node.unit: pass --unit, set node.unit in the config file, or export \
             FENGQIAO__NODE__UNIT"
        );
        Ok(())
    });
}

#[test]
fn validation_refuses_plaintext_off_loopback_and_files_that_cannot_be_read() {
    Jail::expect_with(|jail| {
        jail.create_file("tree.csv", "code,parent_code,tier,name\n410411,,district,湛河区\n")?;
        let tree = || Some(PathBuf::from("tree.csv"));
        let open = ConfigArgs { listen: Some("0.0.0.0:7400".into()), tree: tree(), ..args(None) };
        assert!(load(&open).is_ok(), "the pure checks pass");
        let message = error(load_validated(&open));
        assert!(
            message.contains(
                "tls.insecure (command-line flags): plaintext is refused on the non-loopback address"
            ),
            "{message}"
        );
        assert!(load_validated(&ConfigArgs { tree: tree(), ..args(None) }).is_ok());
        let open_web = ConfigArgs { web_listen: Some("0.0.0.0:7480".into()), tree: tree(), ..args(None) };
        let message = error(load_validated(&open_web));
        assert!(
            message.contains(
                "web.listen (command-line flags): plaintext is refused on the non-loopback address"
            ),
            "{message}"
        );
        let loopback_web =
            ConfigArgs { web_listen: Some("127.0.0.1:7480".into()), tree: tree(), ..args(None) };
        assert!(load_validated(&loopback_web).is_ok());
        let message = error(load_validated(&args(None)));
        assert!(
            message.starts_with(
                "configuration: node.tree (the default at the root: a node without node.parent reads a tree): \
                 cannot read deploy/zhanhe-410411.csv: No such file or directory"
            ),
            "{message}"
        );
        jail.create_file("ca.pem", "")?;
        jail.create_dir("key.pem")?;
        jail.set_env(CERT.variable, "gone.pem");
        let secure = ConfigArgs {
            insecure: false,
            tree: tree(),
            ca: Some("ca.pem".into()),
            key: Some("key.pem".into()),
            ..args(None)
        };
        let message = error(load_validated(&secure));
        assert!(
            message.starts_with(
                "configuration: tls.cert (environment variable FENGQIAO_CERT): cannot read gone.pem: No such file"
            ),
            "{message}"
        );
        jail.create_file("gone.pem", "")?;
        let message = error(load_validated(&secure));
        assert_eq!(message, "configuration: tls.key (command-line flags): cannot read key.pem: not a file");
        let message = error(load_validated(&ConfigArgs {
            petitioner_secret_file: Some("secret".into()),
            key: Some("gone.pem".into()),
            ..secure
        }));
        assert!(
            message.contains("cases.petitioner_secret_file (command-line flags): cannot read secret"),
            "{message}"
        );
        Ok(())
    });
}

#[test]
fn print_shows_the_effective_database_url() {
    Jail::expect_with(|_| {
        let text = load(&args(None)).unwrap().to_toml();
        assert!(
            text.contains("url = \"sqlite://fengqiao-410411.db\"  # default (sqlite://fengqiao-UNIT.db)"),
            "{text}"
        );
        Ok(())
    });
}

#[test]
fn weekly_reports_are_due_when_configured() {
    use chrono::{NaiveTime, Weekday};
    use fengqiao_core::weekly::DuePolicy;
    Jail::expect_with(|jail| {
        let defaults = load(&args(None)).unwrap();
        assert_eq!(defaults.weekly_due(), DuePolicy::default());
        assert_eq!(defaults.weekly_due().weekday, Weekday::Mon);
        assert!(defaults.to_toml().contains("due = \"MON 12:00\""), "{}", defaults.to_toml());
        jail.create_file("due.toml", "[weekly]\ndue = \"tue 09:30\"\n")?;
        let file = load(&args(Some("due.toml"))).unwrap();
        let due = DuePolicy { weekday: Weekday::Tue, time: NaiveTime::from_hms_opt(9, 30, 0).unwrap() };
        assert_eq!(file.weekly_due(), due);
        assert!(file.origin("weekly.due").starts_with("TOML file"), "{}", file.origin("weekly.due"));
        jail.set_env("FENGQIAO__WEEKLY__DUE", "WED 18:00");
        assert_eq!(load(&args(Some("due.toml"))).unwrap().weekly_due().weekday, Weekday::Wed);
        let flags =
            load(&ConfigArgs { weekly_due: Some("FRI 08:00".into()), ..args(Some("due.toml")) }).unwrap();
        assert_eq!(flags.weekly_due().weekday, Weekday::Fri);
        assert_eq!(flags.origin("weekly.due"), "command-line flags");
        let message = error(load(&ConfigArgs { weekly_due: Some("Monday noon".into()), ..args(None) }));
        assert!(message.starts_with("configuration: weekly.due (command-line flags)"), "{message}");
        assert!(message.contains("expected e.g. MON 12:00"), "{message}");
        jail.create_file("typo.toml", "[weekly]\ndue_at = \"MON 12:00\"\n")?;
        let message = error(load(&args(Some("typo.toml"))));
        assert!(message.contains("due_at"), "{message}");
        Ok(())
    });
}

#[test]
fn report_text_is_kept_for_ever_unless_a_retention_is_set() {
    Jail::expect_with(|jail| {
        let defaults = load(&args(None)).unwrap();
        assert_eq!(defaults.raw_text_months(), None);
        assert!(defaults.to_toml().contains("# raw_text_months =  (not set)"), "{}", defaults.to_toml());
        jail.create_file("keep.toml", "[storage]\nraw_text_months = 36\n")?;
        let file = load(&args(Some("keep.toml"))).unwrap();
        assert_eq!(file.raw_text_months(), Some(36));
        jail.set_env("FENGQIAO__STORAGE__RAW_TEXT_MONTHS", "24");
        assert_eq!(load(&args(Some("keep.toml"))).unwrap().raw_text_months(), Some(24));
        jail.set_env("FENGQIAO__STORAGE__RAW_TEXT_MONTHS", "0");
        let message = error(load(&args(None)));
        assert!(message.starts_with("configuration: storage.raw_text_months"), "{message}");
        assert!(message.contains("leave it unset to keep report text for ever"), "{message}");
        Ok(())
    });
}
