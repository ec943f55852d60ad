//! The days of reporting in `fengqiao demo`: what each reporting unit
//! submits (on time, late, zero, missing, corrected), the submissions
//! themselves, and the district's own view of them afterwards, per day and
//! per township.

use std::collections::{BTreeMap, HashMap};
use std::time::Duration;

use anyhow::Result;
use chrono::NaiveDate;
use fengqiao_core::{Tier, TimePolicy, Unit, UnitTree};
use fengqiao_proto::pb::reporting_service_client::ReportingServiceClient;
use fengqiao_proto::pb::{self, DailyReport, ListDailyReportsRequest, SubmitDailyReportRequest};
use futures::StreamExt;
use indicatif::ProgressBar;
use rand::RngExt;
use rand_chacha::ChaCha8Rng;
use tonic::transport::Channel;

use super::nodes::DemoNode;

/// One day's submissions, by phase.
pub(super) struct Day {
    pub(super) date: NaiveDate,
    pub(super) on_time: Vec<DailyReport>,
    pub(super) late: Vec<DailyReport>,
    pub(super) corrections: Vec<DailyReport>,
}

pub(super) struct Plan {
    pub(super) days: Vec<Day>,
}

impl Plan {
    pub(super) fn submissions(&self) -> u64 {
        self.days.iter().map(|d| (d.on_time.len() + d.late.len() + d.corrections.len()) as u64).sum()
    }
}

pub(super) const EMPLOYERS: [&str; 12] = [
    "平顶山某建筑工程有限公司",
    "湛河区某装饰公司",
    "某劳务派遣公司",
    "某物业服务公司",
    "某商砼有限公司",
    "某机械加工厂",
    "某餐饮管理公司",
    "某服装加工厂",
    "某运输有限公司",
    "某农业合作社",
    "某保洁服务公司",
    "某房地产开发公司",
];

/// Decides, with the seed, what every unit reports on every day.
pub(super) fn simulate(tree: &UnitTree, first_day: NaiveDate, days: u32, rng: &mut ChaCha8Rng) -> Plan {
    let units = tree.units();
    let mut plan = Plan { days: Vec::new() };
    for offset in 0..days {
        let date = first_day + chrono::Duration::days(i64::from(offset));
        let mut day = Day { date, on_time: Vec::new(), late: Vec::new(), corrections: Vec::new() };
        for unit in units.iter().filter(|u| u.expected_on(date)) {
            let roll: f64 = rng.random_range(0.0..1.0);
            if roll < 0.04 {
                continue; // missing: nobody reports
            }
            let disputes = if rng.random_bool(0.55) { Vec::new() } else { disputes(rng) };
            let report = DailyReport {
                unit_id: unit.id.to_string(),
                date: date.to_string(),
                revision: 1,
                // Filled in for the node that takes it (see `submit_all`).
                reporter: String::new(),
                zero: disputes.is_empty(),
                disputes,
                correction_reason: String::new(),
            };
            if rng.random_bool(0.02) {
                let disputes = self::disputes(rng);
                day.corrections.push(DailyReport {
                    revision: 2,
                    zero: disputes.is_empty(),
                    disputes,
                    correction_reason: "recounted with the mediator".into(),
                    ..report.clone()
                });
            }
            if roll < 0.12 { day.late.push(report) } else { day.on_time.push(report) }
        }
        plan.days.push(day);
    }
    plan
}

pub(super) fn disputes(rng: &mut ChaCha8Rng) -> Vec<pb::Dispute> {
    let count = rng.random_range(1..=3);
    (0..count)
        .map(|n| {
            let category = match rng.random_range(0..100) {
                0..8 => pb::DisputeCategory::WageArrears,
                8..20 => pb::DisputeCategory::Land,
                20..30 => pb::DisputeCategory::HousingProperty,
                30..55 => pb::DisputeCategory::Neighbour,
                55..72 => pb::DisputeCategory::MarriageFamily,
                72..78 => pb::DisputeCategory::Labour,
                78..84 => pb::DisputeCategory::Environment,
                84..90 => pb::DisputeCategory::PublicService,
                90..95 => pb::DisputeCategory::LawRelated,
                _ => pb::DisputeCategory::Other,
            };
            let outcome = match rng.random_range(0..100) {
                0..70 => pb::DisputeOutcome::ResolvedOnTheSpot,
                70..88 => pb::DisputeOutcome::Mediating,
                88..96 => pb::DisputeOutcome::Registered,
                _ => pb::DisputeOutcome::ReferredUp,
            };
            let wage_arrears = (category == pb::DisputeCategory::WageArrears).then(|| {
                let workers = rng.random_range(1..=30);
                let claimed = i64::from(workers) * rng.random_range(2_000..=12_000) * 100;
                let recovered = if outcome == pb::DisputeOutcome::ResolvedOnTheSpot { claimed } else { 0 };
                pb::WageArrears {
                    employer: EMPLOYERS[rng.random_range(0..EMPLOYERS.len())].into(),
                    workers,
                    amount_claimed_cents: claimed,
                    amount_recovered_cents: recovered,
                }
            });
            pb::Dispute {
                local_id: format!("d{}", n + 1),
                category: category.into(),
                outcome: outcome.into(),
                parties: rng.random_range(2..=4),
                summary: String::new(),
                case_id: String::new(),
                wage_arrears,
            }
        })
        .collect()
}

pub(super) type Key = (String, NaiveDate);

/// Submits a phase's reports, each to the node that serves its unit, 64 at a
/// time, retrying what the node asks to retry.
pub(super) async fn submit_all<'a>(
    reports: &[DailyReport],
    tree: &UnitTree,
    serving: &(dyn Fn(&Unit) -> &'a DemoNode + Sync),
    progress: &ProgressBar,
) -> Vec<(Key, Result<u32, tonic::Status>)> {
    futures::stream::iter(reports.iter().cloned())
        .map(|mut report| {
            let unit = tree.get(&report.unit_id).expect("simulated units are in the tree");
            let node = serving(unit);
            report.reporter.clone_from(&node.reporter);
            let mut client = ReportingServiceClient::new(node.channel.clone());
            let key =
                (report.unit_id.clone(), NaiveDate::parse_from_str(&report.date, "%Y-%m-%d").expect("valid"));
            async move {
                let mut attempt = 0;
                let result = loop {
                    let request = SubmitDailyReportRequest { report: Some(report.clone()) };
                    match client.submit_daily_report(request).await {
                        Err(status) if status.code() == tonic::Code::Unavailable && attempt < 20 => {
                            attempt += 1;
                            tokio::time::sleep(Duration::from_millis(20 * attempt)).await;
                        }
                        other => break other.map(|answer| answer.into_inner().revision),
                    }
                };
                progress.inc(1);
                (key, result)
            }
        })
        .buffer_unordered(256)
        .collect()
        .await
}

/// Every report of the subtree in the date range, page by page.
pub(super) async fn list_all(
    channel: Channel,
    unit: &str,
    from: NaiveDate,
    to: NaiveDate,
) -> Result<Vec<DailyReportRow>> {
    let mut client = ReportingServiceClient::new(channel);
    let mut rows = Vec::new();
    let mut page_token = String::new();
    loop {
        let page = client
            .list_daily_reports(ListDailyReportsRequest {
                unit_id: unit.to_owned(),
                from_date: from.to_string(),
                to_date: to.to_string(),
                page_size: 1000,
                page_token,
            })
            .await
            .map_err(crate::connection::refused)?
            .into_inner();
        rows.extend(page.reports.into_iter().filter_map(|stored| {
            let report = stored.report?;
            Some(DailyReportRow {
                unit_id: report.unit_id,
                date: report.date,
                revision: report.revision,
                zero: report.zero,
                on_time: stored.on_time,
            })
        }));
        if page.next_page_token.is_empty() {
            return Ok(rows);
        }
        page_token = page.next_page_token;
    }
}

/// What the district view needs of a report.
pub(super) struct DailyReportRow {
    pub(super) unit_id: String,
    pub(super) date: String,
    pub(super) revision: u32,
    pub(super) zero: bool,
    pub(super) on_time: bool,
}

#[derive(Default, Clone, Copy)]
pub(super) struct Counts {
    pub(super) expected: u64,
    pub(super) received: u64,
    pub(super) on_time: u64,
    pub(super) zero: u64,
}

impl Counts {
    pub(super) fn row(&self, label: String) -> Vec<String> {
        let percent = |n: u64| crate::render::share(n, self.expected);
        vec![
            label,
            self.expected.to_string(),
            self.received.to_string(),
            percent(self.received),
            self.on_time.to_string(),
            percent(self.on_time),
            self.zero.to_string(),
            self.expected.saturating_sub(self.received).to_string(),
        ]
    }
}

/// The district's view, computed from what the district node holds.
pub(super) fn print_district_view(
    tree: &UnitTree,
    policy: &TimePolicy,
    first_day: NaiveDate,
    days: u32,
    reports: &[DailyReportRow],
) {
    let _ = policy;
    let root = tree.root_id().to_string();
    let township_of = |unit: &str| -> Option<String> {
        tree.ancestors(unit)
            .into_iter()
            .chain(tree.get(unit))
            .find(|u| u.tier == Tier::Township)
            .map(|u| u.id.to_string())
    };
    let received: HashMap<(&str, &str), &DailyReportRow> =
        reports.iter().map(|r| ((r.unit_id.as_str(), r.date.as_str()), r)).collect();
    let mut by_day: BTreeMap<NaiveDate, Counts> = BTreeMap::new();
    let mut by_township: BTreeMap<String, Counts> = BTreeMap::new();
    let mut total = Counts::default();
    for offset in 0..days {
        let date = first_day + chrono::Duration::days(i64::from(offset));
        let date_text = date.to_string();
        for unit in tree.units().into_iter().filter(|u| u.expected_on(date)) {
            let mut counts = Counts { expected: 1, ..Counts::default() };
            if let Some(report) = received.get(&(unit.id.as_str(), date_text.as_str())) {
                counts.received = 1;
                counts.on_time = u64::from(report.on_time);
                counts.zero = u64::from(report.zero);
            }
            for target in [
                Some(by_day.entry(date).or_default()),
                township_of(unit.id.as_str()).map(|t| by_township.entry(t).or_default()),
                Some(&mut total),
            ]
            .into_iter()
            .flatten()
            {
                target.expected += counts.expected;
                target.received += counts.received;
                target.on_time += counts.on_time;
                target.zero += counts.zero;
            }
        }
    }
    let header = crate::i18n::headings([
        "blank",
        "expected",
        "received",
        "completeness",
        "on-time",
        "timeliness",
        "zero",
        "missing",
    ]);
    let mut table = crate::render::table::new(header.clone());
    for (date, counts) in &by_day {
        table.add_row(counts.row(date.to_string()));
    }
    table.add_row(total.row(crate::tr!("demo-all-days")));
    println!("\n{}", crate::tr!("demo-by-day", name = &tree.root().name, unit = &root));
    println!("{table}");
    let mut table = crate::render::table::new(header);
    for (township, counts) in &by_township {
        let name = tree.get(township).map_or("", |u| u.name.as_str());
        table.add_row(counts.row(format!("{township} {name}")));
    }
    let last_day = first_day + chrono::Duration::days(i64::from(days) - 1);
    println!("{}", crate::tr!("demo-by-township", from = first_day, to = last_day));
    println!("{table}");
    let corrected = reports.iter().filter(|r| r.revision > 1).count();
    println!("{}", crate::tr!("demo-corrections", count = corrected));
}
