//! Tests across commands: a real node on loopback answering several
//! commands' calls in turn, and the report every command's tests share.

use std::path::PathBuf;

use chrono::{DateTime, Duration, NaiveDate, Utc};
use fengqiao_core::TimePolicy;
use fengqiao_proto::pb::{self, StoredDailyReport};

use crate::commands::export::{ExportArgs, ExportFormat, Sink, export_into};
use crate::commands::summary::render_summary;
use crate::commands::verify::{VerifyArgs, verify_store};
use crate::connection::Connection;

pub(crate) fn ts(rfc3339: &str) -> Option<prost_types::Timestamp> {
    let t = DateTime::parse_from_rfc3339(rfc3339).unwrap();
    Some(prost_types::Timestamp { seconds: t.timestamp(), nanos: 0 })
}

pub(crate) fn stored() -> StoredDailyReport {
    StoredDailyReport {
        report: Some(pb::DailyReport {
            unit_id: "410411001001002".into(),
            date: "2026-11-27".into(),
            revision: 2,
            reporter: "officer-17".into(),
            zero: false,
            disputes: vec![
                pb::Dispute {
                    local_id: "d1".into(),
                    category: pb::DisputeCategory::WageArrears.into(),
                    outcome: pb::DisputeOutcome::ResolvedOnTheSpot.into(),
                    parties: 2,
                    summary: "site wages, \"September\"".into(),
                    case_id: String::new(),
                    wage_arrears: Some(pb::WageArrears {
                        employer: "某建筑公司".into(),
                        workers: 12,
                        amount_claimed_cents: 3_600_000,
                        amount_recovered_cents: 3_600_000,
                    }),
                },
                pb::Dispute {
                    local_id: "d2".into(),
                    category: pb::DisputeCategory::Neighbour.into(),
                    outcome: pb::DisputeOutcome::Mediating.into(),
                    ..Default::default()
                },
            ],
            correction_reason: "paid in full, with the mediator".into(),
        }),
        accepted_at: ts("2026-11-28T01:00:00Z"),
        first_accepted_at: ts("2026-11-27T12:30:00Z"),
        on_time: false,
    }
}

/// A real node on `127.0.0.1:0` with a manual clock: reports in over
/// gRPC, then the weekly summary, the export and the verification as the
/// commands run them.
#[tokio::test]
async fn a_node_answers_the_commands() {
    use std::sync::Arc;

    use chrono::TimeZone;
    use fengqiao_core::{Clock, ManualClock};
    use fengqiao_proto::pb::reporting_service_client::ReportingServiceClient;

    const TREE: &str = "code,parent_code,tier,name,reporting\n\
        410411,,district,湛河区,false\n\
        410411001,410411,township,马庄街道,true\n\
        410411001001,410411001,community,电力社区,true\n\
        410411001001001,410411001001,group,1号楼,true\n\
        410411001001002,410411001001,group,2号楼,true\n";
    let policy = TimePolicy::default();
    let local = |day: u32, hour: u32| {
        policy.zone.with_ymd_and_hms(2026, 11, day, hour, 0, 0).unwrap().with_timezone(&Utc)
    };
    let clock = Arc::new(ManualClock::new(local(27, 10)));
    let tree = fengqiao_core::UnitTree::from_csv(TREE).unwrap();
    let store = fengqiao_store::connect("sqlite::memory:").await.unwrap();
    let node = fengqiao_node::Node::start(
        fengqiao_node::NodeConfig::new("410411"),
        &tree,
        Arc::clone(&store),
        Arc::clone(&clock) as Arc<dyn Clock>,
    )
    .await
    .unwrap();
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let address = listener.local_addr().unwrap();
    let (stop, stopped) = tokio::sync::oneshot::channel::<()>();
    let server = tokio::spawn(fengqiao_node::serve(node, listener, async move {
        let _ = stopped.await;
    }));
    let connection = Connection {
        server: format!("http://{address}"),
        time_zone: "Asia/Shanghai".into(),
        tls: Default::default(),
    };
    let mut reporting = ReportingServiceClient::new(connection.channel().await.unwrap());
    let mut submit = async |report: pb::DailyReport| {
        reporting
            .submit_daily_report(pb::SubmitDailyReportRequest { report: Some(report) })
            .await
            .unwrap()
            .into_inner()
    };
    let zero = |unit: &str| pb::DailyReport {
        unit_id: unit.into(),
        date: "2026-11-27".into(),
        revision: 1,
        reporter: "officer-1".into(),
        zero: true,
        ..Default::default()
    };
    // On time: a zero report and a report with a wage-arrears dispute.
    assert!(submit(zero("410411001001001")).await.on_time);
    let disputed = stored().report.unwrap();
    let disputed = pb::DailyReport {
        unit_id: "410411001001".into(),
        revision: 1,
        correction_reason: String::new(),
        ..disputed
    };
    assert!(submit(disputed).await.on_time);
    // Late; the township never reports.
    clock.set(local(27, 20));
    assert!(!submit(zero("410411001001002")).await.on_time);
    clock.set(local(28, 8));

    let summary = connection
        .summaries()
        .await
        .unwrap()
        .weekly_summary(pb::WeeklySummaryRequest { unit_id: "410411".into(), iso_week: "2026-W48".into() })
        .await
        .unwrap()
        .into_inner()
        .summary
        .unwrap();
    let text = render_summary(&fengqiao_core::read::Summary::try_from(summary).unwrap(), &policy);
    assert!(text.contains("counted through 2026-11-27"), "{text}");
    // Four reporting units on the five due days, Monday to Friday.
    assert!(text.contains("expected              20\n"), "{text}");
    assert!(text.contains("received              3 (15.0%)"), "{text}");
    assert!(text.contains("late                  1\n"), "{text}");
    assert!(text.contains("missing               17\n"), "{text}");
    assert!(text.contains("claimed ¥36,000.00, recovered ¥36,000.00, 1 distinct employer"), "{text}");
    assert!(text.contains("马庄街道"), "{text}");

    let args = ExportArgs {
        connection: connection.clone(),
        unit: "410411".into(),
        week: crate::dates::WeekArg::default(),
        from: Some("2026-11-23".into()),
        to: Some("2026-11-29".into()),
        format: ExportFormat::Csv,
        out: PathBuf::from("-"),
        no_bom: true,
    };
    let (from, to) =
        (connection.date("2026-11-23", "--from").unwrap(), connection.date("2026-11-29", "--to").unwrap());
    let mut sink = Sink::new(ExportFormat::Csv, Vec::new(), false).unwrap();
    assert_eq!(export_into(&args, &policy, from, to, &mut sink).await.unwrap(), (3, 3));
    let text = String::from_utf8(sink.finish().unwrap()).unwrap();
    let mut reader = csv::Reader::from_reader(text.as_bytes());
    let rows: Vec<csv::StringRecord> = reader.records().map(Result::unwrap).collect();
    let units: Vec<&str> = rows.iter().map(|r| &r[1]).collect();
    assert_eq!(units, ["410411001001", "410411001001001", "410411001001002"]);
    assert_eq!((&rows[0][2], &rows[0][3]), ("电力社区", "湛河区 / 马庄街道"));
    assert_eq!((&rows[0][7], &rows[0][8]), ("2", "true"));
    assert_eq!((&rows[2][6], &rows[2][8], &rows[2][10]), ("true", "false", "2026-11-27T20:00:00+08:00"));

    let verify = VerifyArgs {
        db: "sqlite::memory:".into(),
        tree: None,
        time_zone: "Asia/Shanghai".into(),
        cutoff: "18:00".into(),
        repair: false,
    };
    verify_store(&*store, &verify, &policy).await.unwrap();

    let _ = stop.send(());
    server.await.unwrap().unwrap();
}

/// Sixty maximal reports of one unit (200 disputes of 500-character
/// summaries each, 18 MB in all): `fengqiao reports` and `export` read
/// every one, page by page and message by message, where the node once
/// answered with one message no client decodes.
#[tokio::test]
async fn the_cli_reads_every_large_report() {
    use std::sync::Arc;

    use chrono::TimeZone;
    use fengqiao_core::{Clock, ManualClock};
    use fengqiao_proto::pb::reporting_service_client::ReportingServiceClient;

    const TREE: &str = "code,parent_code,tier,name\n410411,,district,湛河区\n\
        410411001,410411,township,马庄街道\n";
    let policy = TimePolicy::default();
    let now = policy.zone.with_ymd_and_hms(2026, 11, 28, 16, 0, 0).unwrap().with_timezone(&Utc);
    let clock = Arc::new(ManualClock::new(now));
    let tree = fengqiao_core::UnitTree::from_csv(TREE).unwrap();
    let store = fengqiao_store::connect("sqlite::memory:").await.unwrap();
    let config = fengqiao_node::NodeConfig {
        limits: fengqiao_node::Limits::unthrottled(),
        ..fengqiao_node::NodeConfig::new("410411")
    };
    let node =
        fengqiao_node::Node::start(config, &tree, Arc::clone(&store), clock as Arc<dyn Clock>).await.unwrap();
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let address = listener.local_addr().unwrap();
    let (stop, stopped) = tokio::sync::oneshot::channel::<()>();
    let server = tokio::spawn(fengqiao_node::serve(node, listener, async move {
        let _ = stopped.await;
    }));
    let connection = Connection {
        server: format!("http://{address}"),
        time_zone: "Asia/Shanghai".into(),
        tls: Default::default(),
    };
    let first = NaiveDate::from_ymd_opt(2026, 9, 30).unwrap();
    let last = first + Duration::days(59);
    let mut reporting = ReportingServiceClient::new(connection.channel().await.unwrap());
    for date in first.iter_days().take(60) {
        let disputes = (0..200)
            .map(|n| pb::Dispute {
                local_id: format!("d{n:063}"),
                category: pb::DisputeCategory::Neighbour.into(),
                outcome: pb::DisputeOutcome::Mediating.into(),
                parties: 2,
                summary: "邻".repeat(500),
                ..Default::default()
            })
            .collect();
        let report = pb::DailyReport {
            unit_id: "410411001".into(),
            date: date.to_string(),
            revision: 1,
            reporter: "officer-1".into(),
            disputes,
            ..Default::default()
        };
        reporting.submit_daily_report(pb::SubmitDailyReportRequest { report: Some(report) }).await.unwrap();
    }

    let mut dates = Vec::new();
    let read = crate::connection::each_report(&connection, "410411", first, last, |stored| {
        dates.push(stored.report.as_ref().unwrap().date.clone());
        Ok(true)
    })
    .await
    .unwrap();
    assert_eq!(read, 60);
    let expected: Vec<String> = first.iter_days().take(60).map(|d| d.to_string()).collect();
    assert_eq!(dates, expected);

    let args = ExportArgs {
        connection: connection.clone(),
        unit: "410411".into(),
        week: crate::dates::WeekArg::default(),
        from: Some(first.to_string()),
        to: Some(last.to_string()),
        format: ExportFormat::Jsonl,
        out: PathBuf::from("-"),
        no_bom: false,
    };
    let mut sink = Sink::new(ExportFormat::Jsonl, Vec::new(), false).unwrap();
    assert_eq!(export_into(&args, &policy, first, last, &mut sink).await.unwrap(), (60, 60));
    let text = String::from_utf8(sink.finish().unwrap()).unwrap();
    assert_eq!(text.lines().count(), 60);

    let _ = stop.send(());
    server.await.unwrap().unwrap();
}
