//! Above the summary boundary: two district nodes under a city node send
//! rollup states, not reports. The city's figures for every district and
//! township equal the districts' own (tallies, expected, distinct employers
//! across districts, case figures), duplicates change nothing, and the
//! city's database holds no report, no dispute text, no employer name and
//! no case text. Runs on both backends.

mod common;

use std::time::Duration;

use chrono::{NaiveDate, Utc};
use common::{Running, expect_code, fast, figures, period_summary as summary};
use fengqiao_core::TimePolicy;
use fengqiao_node::{ChildNodes, NodeConfig};
use fengqiao_proto::pb::case_service_client::CaseServiceClient;
use fengqiao_proto::pb::reporting_service_client::ReportingServiceClient;
use fengqiao_proto::pb::summary_service_client::SummaryServiceClient;
use fengqiao_proto::pb::uplink_service_client::UplinkServiceClient;
use fengqiao_proto::pb::{
    self, CaseChannel, CaseIntake, CompletenessRequest, DisputeCategory as Cat, DisputeOutcome as Out,
    DrillDownRequest, ExportReportsRequest, PeriodSummaryRequest, PushBatchRequest, RegisterCaseRequest,
    UplinkItem,
};
use fengqiao_store::Backend;
use tonic::Code;

const CITY_TREE: &str = fengqiao_store::testing::trees::CITY_TWO_DISTRICTS;

/// Zhanhe with two townships, a community and groups under each.
const ZHANHE: &str = fengqiao_store::testing::trees::CONFORMANCE;

const XINHUA: &str = fengqiao_store::testing::trees::XINHUA;

/// Text that must never leave a district.
const SECRET_SUMMARY: &str = "绝密纠纷摘要-张三欠薪";
const EMPLOYER: &str = "某某建筑劳务有限公司";
const CASE_TEXT: &str = "不得上传的案件摘要";

fn today() -> NaiveDate {
    TimePolicy::default().local_date(Utc::now())
}

fn dispute(id: &str, category: Cat, outcome: Out, employer: Option<&str>) -> pb::Dispute {
    pb::Dispute {
        local_id: id.into(),
        category: category.into(),
        outcome: outcome.into(),
        parties: 2,
        summary: SECRET_SUMMARY.into(),
        case_id: String::new(),
        wage_arrears: employer.map(|e| pb::WageArrears {
            employer: e.into(),
            workers: 3,
            amount_claimed_cents: 120_000,
            amount_recovered_cents: 50_000,
        }),
    }
}

async fn submit(node: &Running, unit: &str, date: NaiveDate, revision: u32, disputes: Vec<pb::Dispute>) {
    let report = pb::DailyReport {
        unit_id: unit.into(),
        date: date.to_string(),
        revision,
        reporter: "officer-7".into(),
        zero: disputes.is_empty(),
        disputes,
        correction_reason: if revision > 1 { "更正".into() } else { String::new() },
    };
    ReportingServiceClient::new(node.channel())
        .submit_daily_report(pb::SubmitDailyReportRequest { report: Some(report) })
        .await
        .unwrap_or_else(|status| panic!("{unit}@{date} r{revision} refused: {status}"));
}

async fn network(backend: Backend) -> (Running, Running, Running) {
    let start = today() - chrono::Duration::days(5);
    let config = NodeConfig {
        child_nodes: ChildNodes::AllChildren,
        reporting_start: Some(start),
        ..NodeConfig::new("4104")
    };
    let city = Running::start(CITY_TREE, "4104", backend, config, None).await;
    let district = |unit: &'static str| NodeConfig {
        parent: Some(city.url()),
        forwarder: fast(),
        reporting_start: Some(start),
        ..NodeConfig::new(unit)
    };
    let zhanhe = Running::start_own_tree(ZHANHE, "410411", backend, district("410411")).await;
    let xinhua = Running::start_own_tree(XINHUA, "410402", backend, district("410402")).await;
    (city, zhanhe, xinhua)
}

async fn the_city_sees_what_the_districts_see(backend: Backend) {
    let (mut city, zhanhe, xinhua) = network(backend).await;
    let (d1, d2) = (today() - chrono::Duration::days(2), today() - chrono::Duration::days(1));
    // Zhanhe: reports on two days, a correction, the shared employer.
    submit(
        &zhanhe,
        "410411001001001",
        d1,
        1,
        vec![dispute("a", Cat::WageArrears, Out::Mediating, Some(EMPLOYER))],
    )
    .await;
    submit(&zhanhe, "410411001001002", d1, 1, vec![]).await;
    submit(&zhanhe, "410411002001001", d1, 1, vec![dispute("b", Cat::Land, Out::ResolvedOnTheSpot, None)])
        .await;
    submit(&zhanhe, "410411001001001", d2, 1, vec![dispute("c", Cat::Neighbour, Out::Registered, None)])
        .await;
    submit(
        &zhanhe,
        "410411001001001",
        d2,
        2,
        vec![
            dispute("c", Cat::Neighbour, Out::ResolvedOnTheSpot, None),
            dispute("d", Cat::WageArrears, Out::ReferredUp, Some("另一家公司")),
        ],
    )
    .await;
    // Xinhua: the same employer (one employer for the city, not two), and a
    // missing report on d2.
    submit(
        &xinhua,
        "410402001001001",
        d1,
        1,
        vec![dispute("e", Cat::WageArrears, Out::Mediating, Some(EMPLOYER))],
    )
    .await;
    submit(&xinhua, "410402001001002", d1, 1, vec![]).await;
    submit(&xinhua, "410402001001003", d2, 1, vec![]).await;
    // A case at Zhanhe, with text that must stay there.
    CaseServiceClient::new(zhanhe.channel())
        .register_case(RegisterCaseRequest {
            intake: Some(CaseIntake {
                origin_unit_id: "410411001001001".into(),
                category: Cat::Land.into(),
                channel: CaseChannel::Letter.into(),
                summary: CASE_TEXT.into(),
                ..CaseIntake::default()
            }),
            actor: "officer-1".into(),
            ..RegisterCaseRequest::default()
        })
        .await
        .unwrap();

    let from = today() - chrono::Duration::days(5);
    let to = today();
    for (district, unit) in [(&zhanhe, "410411"), (&xinhua, "410402")] {
        let own = figures(&summary(district, unit, from, to).await);
        let deadline = std::time::Instant::now() + Duration::from_secs(30);
        let at_city = loop {
            let at_city = figures(&summary(&city, unit, from, to).await);
            if at_city == own || std::time::Instant::now() > deadline {
                break at_city;
            }
            tokio::time::sleep(Duration::from_millis(100)).await;
        };
        assert_eq!(at_city, own, "{unit}: the city's figures are the district's own");
    }
    let zhanhe_own = summary(&zhanhe, "410411", from, to).await;
    let xinhua_own = summary(&xinhua, "410402", from, to).await;
    let city_total = summary(&city, "4104", from, to).await;
    let total = city_total.totals.clone().unwrap();
    let (z, x) = (zhanhe_own.totals.clone().unwrap(), xinhua_own.totals.clone().unwrap());
    assert_eq!(total.expected, z.expected + x.expected);
    assert_eq!(total.received, z.received + x.received);
    assert_eq!(total.received, 7, "seven reports, the correction counted once");
    assert_eq!(total.disputes, z.disputes + x.disputes);
    assert_eq!(total.disputes, 5);
    let wage = total.wage_arrears.unwrap();
    assert_eq!(wage.disputes, 3);
    assert_eq!(wage.employers, 2, "the shared employer counts once for the city: 2 distinct, not 3");
    assert_eq!(z.wage_arrears.unwrap().employers, 2);
    assert_eq!(x.wage_arrears.unwrap().employers, 1);
    assert_eq!(city_total.cases.as_ref().unwrap().registered, 1);
    let rows: Vec<&str> = city_total.children.iter().map(|r| r.unit_id.as_str()).collect();
    assert_eq!(rows.len(), 2, "{rows:?}");
    // The case behind the figure is traceable by id from the city.
    let drilled = SummaryServiceClient::new(city.channel())
        .drill_down(DrillDownRequest {
            unit_id: "4104".into(),
            from_date: from.to_string(),
            to_date: to.to_string(),
            figure: "cases.registered".into(),
            ..DrillDownRequest::default()
        })
        .await
        .unwrap()
        .into_inner();
    assert_eq!(drilled.case_ids.len(), 1);

    // Reports stay in the district: the city answers with the holder.
    let refused = expect_code(
        SummaryServiceClient::new(city.channel())
            .completeness(CompletenessRequest { unit_id: "410411001".into(), date: d1.to_string() })
            .await,
        Code::FailedPrecondition,
    );
    assert!(refused.message().contains("410411"), "{}", refused.message());
    let mut export = SummaryServiceClient::new(city.channel());
    let exported = export
        .export_reports(ExportReportsRequest {
            unit_id: "410402".into(),
            from_date: from.to_string(),
            to_date: to.to_string(),
        })
        .await;
    let refused = expect_code(exported.map(|_| ()), Code::FailedPrecondition);
    assert!(refused.message().contains("410402"), "{}", refused.message());

    // Below the summary depth: the city names the district node that holds it.
    let below = expect_code(
        SummaryServiceClient::new(city.channel())
            .period_summary(PeriodSummaryRequest {
                unit_id: "410411001001".into(),
                from_date: from.to_string(),
                to_date: to.to_string(),
            })
            .await,
        Code::FailedPrecondition,
    );
    assert!(below.message().contains("node 410411"), "{}", below.message());

    // A report pushed to the city is refused, item by item.
    let pushed = UplinkServiceClient::new(city.channel())
        .push_batch(PushBatchRequest {
            sender_unit_id: "410402".into(),
            items: vec![UplinkItem {
                sequence: 1,
                payload: Some(pb::uplink_item::Payload::Report(pb::StoredDailyReport {
                    report: Some(pb::DailyReport {
                        unit_id: "410402001".into(),
                        date: d1.to_string(),
                        revision: 1,
                        reporter: "x".into(),
                        zero: true,
                        ..pb::DailyReport::default()
                    }),
                    ..pb::StoredDailyReport::default()
                })),
                trace_parent: String::new(),
            }],
            synced_through: None,
        })
        .await
        .unwrap()
        .into_inner();
    assert_eq!(pushed.acks[0].outcome(), pb::ItemOutcome::Refused, "{:?}", pushed.acks);

    // The city comes back on an empty database (a restore that lost
    // everything): the districts see its new instance and send every state
    // again, so its figures come back whole.
    let address = city.address;
    city.halt().await;
    city.db.cleanup().await;
    city.db = fengqiao_store::testing::TestDb::new(backend).await;
    city.serve(Some(address)).await;
    for (district, unit) in [(&zhanhe, "410411"), (&xinhua, "410402")] {
        let own = figures(&summary(district, unit, from, to).await);
        let deadline = std::time::Instant::now() + Duration::from_secs(30);
        let again = loop {
            let again = figures(&summary(&city, unit, from, to).await);
            if again == own || std::time::Instant::now() > deadline {
                break again;
            }
            tokio::time::sleep(Duration::from_millis(100)).await;
        };
        assert_eq!(again, own, "{unit}: the restored city's figures are the district's own again");
    }

    // The city's database: no report, no case, and none of the text.
    let store = city.node.as_ref().unwrap().store();
    assert_eq!(store.count_reports().await.unwrap(), 0);
    let dump = dump(&city).await;
    for text in [SECRET_SUMMARY, EMPLOYER, "另一家公司", CASE_TEXT, "officer-7"] {
        assert!(!dump.contains(text), "the city's database holds {text:?}");
    }
    // …while the districts' do (the search would find it).
    assert!(dump_of(&zhanhe).await.contains(SECRET_SUMMARY));

    for mut node in [city, zhanhe, xinhua] {
        node.halt().await;
        node.db.cleanup().await;
    }
}

/// Every text value in every table of a node's database, one per line.
async fn dump(node: &Running) -> String {
    dump_of(node).await
}

async fn dump_of(node: &Running) -> String {
    let url = node.db.url();
    let mut out = String::new();
    if url.starts_with("sqlite") {
        let pool = sqlx::SqlitePool::connect(&url).await.unwrap();
        let tables: Vec<String> = sqlx::query_scalar("SELECT name FROM sqlite_master WHERE type = 'table'")
            .fetch_all(&pool)
            .await
            .unwrap();
        for table in tables {
            let sql = format!("SELECT * FROM \"{table}\"");
            for row in sqlx::query(sqlx::AssertSqlSafe(sql)).fetch_all(&pool).await.unwrap() {
                use sqlx::Row;
                for i in 0..row.len() {
                    if let Ok(Some(text)) = row.try_get::<Option<String>, _>(i) {
                        out.push_str(&text);
                        out.push('\n');
                    }
                    if let Ok(Some(bytes)) = row.try_get::<Option<Vec<u8>>, _>(i) {
                        out.push_str(&String::from_utf8_lossy(&bytes));
                        out.push('\n');
                    }
                }
            }
        }
        pool.close().await;
    } else {
        let pool = sqlx::PgPool::connect(&url).await.unwrap();
        let tables: Vec<String> = sqlx::query_scalar(
            "SELECT table_name::text FROM information_schema.tables WHERE table_schema = current_schema()",
        )
        .fetch_all(&pool)
        .await
        .unwrap();
        for table in tables {
            let sql = format!("SELECT t::text FROM \"{table}\" t");
            for text in
                sqlx::query_scalar::<_, String>(sqlx::AssertSqlSafe(sql)).fetch_all(&pool).await.unwrap()
            {
                out.push_str(&text);
                out.push('\n');
            }
        }
        pool.close().await;
    }
    out
}

fengqiao_store::both_backends!(the_city_sees_what_the_districts_see);
