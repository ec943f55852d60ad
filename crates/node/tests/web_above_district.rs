//! The dashboard of a city node, above the summary boundary: a district
//! node under it sends rollup states, a city leader logs in with a login
//! link and opens every page of the nav bar, for the city and for the
//! district. The figure pages answer 200 with the district's own figures
//! (received, disputes), the pages that read reports or cases say in
//! Chinese where the detail is held, no page answers a 500, and none
//! carries the text of a dispute. Runs on SQLite and on PostgreSQL.

mod common;
mod web_harness;

use std::collections::BTreeSet;
use std::time::Duration;

use chrono::{NaiveDate, Utc};
use common::{Running, fast};
use fengqiao_core::identity::Role;
use fengqiao_core::{IsoWeek, TimePolicy, UnitId};
use fengqiao_node::web::auth::{LINK_LIFETIME, issue_login_link};
use fengqiao_node::{ChildNodes, NodeConfig};
use fengqiao_proto::pb::reporting_service_client::ReportingServiceClient;
use fengqiao_proto::pb::summary_service_client::SummaryServiceClient;
use fengqiao_proto::pb::{self, DisputeCategory as Cat, DisputeOutcome as Out};
use fengqiao_store::Backend;
use tokio::net::TcpListener;
use tokio::sync::oneshot;
use web_harness::{Answer, send_to};

const CITY_TREE: &str = "code,parent_code,tier,name\n\
    4104,,city,平顶山市\n\
    410411,4104,district,湛河区\n\
    410411001,410411,township,马庄街道\n\
    410411002,410411,township,南环路街道\n";

/// Zhanhe with two townships, a community and groups under each.
const ZHANHE: &str = fengqiao_store::testing::trees::CONFORMANCE;

/// Text that must never reach the city.
const SECRET_SUMMARY: &str = "绝密纠纷摘要-李四欠薪";
const EMPLOYER: &str = "某某建筑劳务有限公司";

/// The message of a page whose detail is held below (its fixed opening).
const HELD_BELOW: &str = "本级只汇总下级数据";

fn dispute(id: &str, category: Cat, outcome: Out) -> pb::Dispute {
    pb::Dispute {
        local_id: id.into(),
        category: category.into(),
        outcome: outcome.into(),
        parties: 2,
        summary: SECRET_SUMMARY.into(),
        case_id: String::new(),
        wage_arrears: (category == Cat::WageArrears).then(|| pb::WageArrears {
            employer: EMPLOYER.into(),
            workers: 3,
            amount_claimed_cents: 120_000,
            amount_recovered_cents: 50_000,
        }),
    }
}

async fn submit(node: &Running, unit: &str, date: NaiveDate, disputes: Vec<pb::Dispute>) {
    let report = pb::DailyReport {
        unit_id: unit.into(),
        date: date.to_string(),
        revision: 1,
        reporter: "officer-7".into(),
        zero: disputes.is_empty(),
        disputes,
        correction_reason: String::new(),
    };
    ReportingServiceClient::new(node.channel())
        .submit_daily_report(pb::SubmitDailyReportRequest { report: Some(report) })
        .await
        .unwrap_or_else(|status| panic!("{unit}@{date} refused: {status}"));
}

async fn weekly_totals(node: &Running, unit: &str, week: IsoWeek) -> pb::Tally {
    SummaryServiceClient::new(node.channel())
        .weekly_summary(pb::WeeklySummaryRequest { unit_id: unit.into(), iso_week: week.to_string() })
        .await
        .unwrap()
        .into_inner()
        .summary
        .unwrap()
        .totals
        .unwrap()
}

/// The city's dashboard on an ephemeral port.
struct CityWeb {
    address: std::net::SocketAddr,
    stop: oneshot::Sender<()>,
}

impl CityWeb {
    async fn get(&self, path: &str, cookie: &str) -> Answer {
        send_to(self.address, http::Method::GET, path, Some(cookie), &[], None).await
    }
}

async fn the_city_dashboard_serves_figures_and_names_the_holder(backend: Backend) {
    let today = TimePolicy::default().local_date(Utc::now());
    // A day of the current week when there is one before today, so the
    // overview's default week shows it.
    let day = today - chrono::Duration::days(1);
    let week = IsoWeek::of(day);
    let start = day - chrono::Duration::days(7);
    let config = NodeConfig {
        child_nodes: ChildNodes::AllChildren,
        reporting_start: Some(start),
        ..NodeConfig::new("4104")
    };
    let city = Running::start(CITY_TREE, "4104", backend, config, None).await;
    let zhanhe = Running::start_own_tree(
        ZHANHE,
        "410411",
        backend,
        NodeConfig {
            parent: Some(city.url()),
            forwarder: fast(),
            reporting_start: Some(start),
            ..NodeConfig::new("410411")
        },
    )
    .await;
    submit(&zhanhe, "410411001001001", day, vec![dispute("a", Cat::WageArrears, Out::Mediating)]).await;
    submit(&zhanhe, "410411001001002", day, vec![]).await;
    submit(&zhanhe, "410411002001001", day, vec![dispute("b", Cat::Land, Out::ResolvedOnTheSpot)]).await;
    let own = weekly_totals(&zhanhe, "410411", week).await;
    assert_eq!((own.received, own.disputes), (3, 2));
    let deadline = std::time::Instant::now() + Duration::from_secs(30);
    loop {
        let at_city = weekly_totals(&city, "410411", week).await;
        if at_city.received == own.received && at_city.disputes == own.disputes {
            break;
        }
        assert!(std::time::Instant::now() < deadline, "the city never saw the district's week: {at_city:?}");
        tokio::time::sleep(Duration::from_millis(100)).await;
    }

    let node = city.node.clone().unwrap();
    let listener = TcpListener::bind("127.0.0.1:0").await.unwrap();
    let address = listener.local_addr().unwrap();
    let (stop, stopped) = oneshot::channel::<()>();
    tokio::spawn(fengqiao_node::serve_web(node.clone(), listener, None, async {
        let _ = stopped.await;
    }));
    let web = CityWeb { address, stop };
    let link = issue_login_link(
        node.store().as_ref(),
        &UnitId::parse("4104").unwrap(),
        "mayor-office",
        Role::Leader,
        Utc::now(),
        LINK_LIFETIME,
    )
    .await
    .unwrap();
    let login =
        send_to(address, http::Method::GET, &format!("/login?token={}", link.token), None, &[], None).await;
    assert_eq!(login.status, 303, "{}", login.body);
    let cookie = login.header("set-cookie").split(';').next().unwrap().to_owned();

    for unit in ["4104", "410411", "410411001"] {
        let overview = web.get(&format!("/unit/{unit}?week={week}"), &cookie).await;
        assert_eq!(overview.status, 200, "{unit}: {}", overview.body);
        let figures = overview.figures();
        if unit == "410411001" {
            assert_eq!(figures["received"], "2", "{unit}: its two groups' reports: {figures:?}");
        } else {
            assert_eq!(figures["received"], "3", "{unit}: the district's reports");
            assert_eq!(figures["disputes"], "2", "{unit}");
            assert_eq!(figures["wage.employers"], "1", "{unit}");
        }
        if unit == "4104" {
            assert!(overview.body.contains("市"), "the city's tier is named");
            assert!(overview.body.contains("湛河区"), "the scorecard names the district");
        }
        // Every page of the nav bar answers with figures; the pages of
        // reports and cases are not in it.
        let nav: BTreeSet<String> = nav_links(&overview);
        assert!(nav.len() >= 6, "{nav:?}");
        for path in &nav {
            assert!(!held_below(path), "{path} is in the nav bar of a node that holds no report");
            let page = web.get(path, &cookie).await;
            assert_eq!(page.status, 200, "{path}: {}", page.body);
            assert_no_text(path, &page);
            assert!(!page.body.contains(HELD_BELOW), "{path}: {}", page.body);
        }
        // No download of reports the city does not hold.
        assert!(!overview.body.contains("export.csv"), "{unit}");
        assert!(!overview.body.contains("/cases"), "{unit}: no link to a ledger held below");
        // The pages of reports and cases, asked for by address: where they
        // are held, by name and code.
        for path in [
            format!("/unit/{unit}/cases"),
            format!("/unit/{unit}/calendar"),
            format!("/unit/{unit}/missing"),
            format!("/unit/{unit}/export.csv?week={week}"),
            format!("/departments?unit={unit}"),
        ] {
            let page = web.get(&path, &cookie).await;
            assert_eq!(page.status, 200, "{path}: {}", page.body);
            assert_no_text(&path, &page);
            assert!(page.body.contains(HELD_BELOW), "{path} says where the detail is: {}", page.body);
            assert!(page.body.contains("湛河区（410411）的节点"), "{path} names the node: {}", page.body);
            assert!(page.body.contains(&format!("href=\"/unit/{unit}\"")), "{path} links to the figures");
        }
    }
    for path in ["/leaders", "/case/C-410411-2026-000001"] {
        let page = web.get(path, &cookie).await;
        assert_eq!(page.status, 200, "{path}: {}", page.body);
        assert!(page.body.contains(HELD_BELOW), "{path}: {}", page.body);
    }
    // Pages reached from other pages' links: never a server error.
    for path in [
        format!("/weekly/report?unit=410411&week={week}"),
        format!("/weekly/report?unit=4104&week={week}"),
        "/unit/410411/calendar?part=grid".to_owned(),
        format!("/unit/410411/wages?year={}", day.format("%Y")),
        format!("/annual?unit=410411&year={}", day.format("%Y")),
    ] {
        let page = web.get(&path, &cookie).await;
        assert!(page.status < 500, "{path} answered {}: {}", page.status, page.body);
        assert_no_text(&path, &page);
    }
    // The same in English.
    let english = web.get("/unit/4104/missing?lang=en", &cookie).await;
    assert_eq!(english.status, 200, "{}", english.body);
    assert!(english.body.contains("the detail is held by the node of 湛河区 (410411)"), "{}", english.body);
    // A unit the city does not serve is refused as gRPC refuses it, not
    // said to be held below.
    for path in ["/unit/410402/missing", "/unit/410402/cases"] {
        let unknown = web.get(path, &cookie).await;
        assert_eq!(unknown.status, 403, "{path}: {}", unknown.body);
        assert!(!unknown.body.contains(HELD_BELOW), "{path}");
    }

    let _ = web.stop.send(());
    for mut node in [city, zhanhe] {
        node.halt().await;
        node.db.cleanup().await;
    }
}

/// The pages that read reports or cases, held by the district's node.
fn held_below(path: &str) -> bool {
    ["/cases", "/missing", "/calendar", "/departments", "/leaders", "export.csv"]
        .iter()
        .any(|page| path.contains(page))
}

/// No text of a report reaches a page of the city.
fn assert_no_text(path: &str, page: &Answer) {
    for text in [SECRET_SUMMARY, EMPLOYER, "officer-7"] {
        assert!(!page.body.contains(text), "{path} shows {text:?}");
    }
}

/// The nav bar's links.
fn nav_links(page: &Answer) -> BTreeSet<String> {
    let nav = page.body.split("<nav class=\"pages\"").nth(1).unwrap().split("</nav>").next().unwrap();
    nav.split("href=\"").skip(1).map(|rest| rest.split('"').next().unwrap().replace("&amp;", "&")).collect()
}

fengqiao_store::both_backends!(the_city_dashboard_serves_figures_and_names_the_holder);
