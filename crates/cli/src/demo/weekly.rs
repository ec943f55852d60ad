//! The weekly resolution work reports (化解工作周报告) of the demo: on the
//! Monday after each simulated week, every node above the groups files its
//! week (most by 10:30, a few after the 12:00 due time), and the leaders
//! review up the tiers — each parent approves its child nodes' reports
//! (returning a few with comments, which are refiled), bottom-up, until the
//! district approves its own week. Each tier waits for the one below to
//! reach it over the uplink, as it would in a deployment.

use std::collections::{HashMap, HashSet};
use std::sync::Arc;
use std::time::{Duration, Instant};

use anyhow::{Context, Result, bail};
use chrono::Duration as Days;
use fengqiao_core::{IsoWeek, ManualClock, Tier, TimePolicy, UnitTree};
use fengqiao_proto::pb;
use fengqiao_proto::pb::weekly_service_client::WeeklyServiceClient;
use rand::RngExt;
use rand_chacha::ChaCha8Rng;

use super::nodes::DemoNode;

/// How long a step may take to travel between two nodes before the demo
/// gives up on it.
const TRAVEL_WAIT: Duration = Duration::from_secs(30);

/// What the demo's nodes need for the weekly cycle.
pub(super) struct Network<'a> {
    pub(super) tree: &'a UnitTree,
    pub(super) nodes: &'a HashMap<String, DemoNode>,
    pub(super) clock: &'a ManualClock,
    pub(super) policy: &'a TimePolicy,
    /// Every node's store, deepest first.
    pub(super) outboxes: &'a [(usize, Arc<dyn fengqiao_store::Store>)],
}

/// What the weekly cycles did.
#[derive(Debug, Default)]
pub(super) struct Tally {
    pub(super) weeks: Vec<IsoWeek>,
    pub(super) filed: u64,
    pub(super) late: u64,
    pub(super) returned: u64,
    pub(super) approved: u64,
}

impl Tally {
    pub(super) fn print(&self, root: &str, cli: &str) {
        let Some(last) = self.weeks.last() else { return };
        println!(
            "weekly reports (化解工作周报告): {} week(s), {} filings ({} after the Monday 12:00 due time), {} returned with comments and refiled, {} approved; every week approved tier by tier up to the district",
            self.weeks.len(),
            self.filed,
            self.late,
            self.returned,
            self.approved
        );
        println!("  e.g. fengqiao weekly status {cli} --unit {root} --week {last}");
    }
}

impl Network<'_> {
    /// The nodes that file weekly reports (above the groups), with the
    /// filing node above each.
    fn filers(&self) -> Vec<(String, Option<String>, usize)> {
        let mut filers: Vec<(String, Option<String>, usize)> = self
            .nodes
            .keys()
            .filter(|unit| self.tree.get(unit).is_some_and(|u| u.tier != Tier::Group))
            .map(|unit| {
                let ancestors = self.tree.ancestors(unit);
                let parent = ancestors.iter().rev().find(|a| self.nodes.contains_key(a.id.as_str()));
                (unit.clone(), parent.map(|p| p.id.to_string()), ancestors.len())
            })
            .collect();
        filers.sort_by(|a, b| b.2.cmp(&a.2).then_with(|| a.0.cmp(&b.0)));
        filers
    }

    fn client(&self, unit: &str) -> WeeklyServiceClient<tonic::transport::Channel> {
        WeeklyServiceClient::new(self.nodes[unit].leader.clone())
    }

    async fn drained(&self) -> Result<()> {
        let started = Instant::now();
        loop {
            let mut empty = true;
            for (_, store) in self.outboxes {
                if store.outbox_stats().await.context("reading a demo node's outbox")?.depth > 0 {
                    empty = false;
                    break;
                }
            }
            if empty {
                return Ok(());
            }
            if started.elapsed() > TRAVEL_WAIT {
                bail!("the weekly reports did not reach the district within {TRAVEL_WAIT:?}");
            }
            tokio::time::sleep(Duration::from_millis(10)).await;
        }
    }

    async fn report(&self, at: &str, unit: &str, week: IsoWeek) -> Result<pb::WeeklyReport> {
        let response = self
            .client(at)
            .get_weekly_report(pb::GetWeeklyReportRequest {
                unit_id: unit.to_owned(),
                iso_week: week.to_string(),
            })
            .await
            .with_context(|| format!("reading {unit}'s weekly report for {week} at {at}"))?;
        response.into_inner().report.context("a weekly report answer without its report")
    }

    async fn file(&self, unit: &str, week: IsoWeek, expected: u32, rng: &mut ChaCha8Rng) -> Result<()> {
        let name = self.tree.get(unit).map_or("", |u| u.name.as_str());
        let help_needed = if rng.random_bool(0.2) {
            "个别劳资纠纷涉及外地企业，需上级协调人社部门介入。"
        } else {
            "无。"
        };
        let narrative = pb::WeeklyNarrative {
            main_disputes: format!(
                "{name}本周坚持每日排查，矛盾纠纷以邻里、婚姻家庭和劳资纠纷为主，均已落实化解责任人，能当场化解的当场化解。"
            ),
            cases: "已化解案件按期办结并回访；未化解案件明确包案领导、责任人和化解时限。".to_owned(),
            help_needed: help_needed.to_owned(),
            next_week_focus: "继续做好每日排查和零报告，重点关注欠薪和征地拆迁矛盾。".to_owned(),
        };
        self.client(unit)
            .file_weekly_report(pb::FileWeeklyReportRequest {
                unit_id: unit.to_owned(),
                iso_week: week.to_string(),
                narrative: Some(narrative),
                expected_filing: expected,
            })
            .await
            .with_context(|| format!("{unit} filing its weekly report for {week}"))?;
        Ok(())
    }

    async fn review(
        &self,
        at: &str,
        unit: &str,
        week: IsoWeek,
        filing: u32,
        comments: Option<&str>,
    ) -> Result<bool> {
        let decision =
            if comments.is_some() { pb::WeeklyDecision::Return } else { pb::WeeklyDecision::Approve };
        let answer = self
            .client(at)
            .review_weekly_report(pb::ReviewWeeklyReportRequest {
                unit_id: unit.to_owned(),
                iso_week: week.to_string(),
                filing,
                decision: decision.into(),
                comments: comments.unwrap_or_default().to_owned(),
            })
            .await;
        match answer {
            Ok(_) => Ok(true),
            // Its child nodes' reports are not all approved yet.
            Err(status) if status.code() == tonic::Code::FailedPrecondition => Ok(false),
            Err(status) => {
                Err(status).with_context(|| format!("{at} reviewing {unit}'s weekly report for {week}"))
            }
        }
    }

    /// Waits until `unit`'s own node holds its report in `state`.
    async fn arrived(&self, unit: &str, week: IsoWeek, state: pb::WeeklyState) -> Result<pb::WeeklyReport> {
        let started = Instant::now();
        loop {
            let report = self.report(unit, unit, week).await?;
            if report.state == state as i32 {
                return Ok(report);
            }
            if started.elapsed() > TRAVEL_WAIT {
                bail!("{unit}'s weekly report for {week} did not reach {state:?} at its node");
            }
            tokio::time::sleep(Duration::from_millis(10)).await;
        }
    }

    /// Reviews bottom-up: each parent approves its child nodes' filed
    /// reports (returning those in `to_return` once, then approving them
    /// refiled); the district approves its own last.
    async fn review_up(
        &self,
        filers: &[(String, Option<String>, usize)],
        week: IsoWeek,
        to_return: &HashSet<String>,
        returned: &mut HashSet<String>,
        rng: &mut ChaCha8Rng,
        tally: &mut Tally,
    ) -> Result<()> {
        let depths: Vec<usize> = {
            let mut depths: Vec<usize> = filers.iter().map(|f| f.2).collect();
            depths.dedup();
            depths
        };
        for depth in depths {
            let mut sent_back = Vec::new();
            for (unit, parent, _) in filers.iter().filter(|f| f.2 == depth) {
                let at = parent.as_deref().unwrap_or(unit.as_str());
                let report = self.report(at, unit, week).await?;
                if report.state != pb::WeeklyState::Filed as i32 {
                    continue;
                }
                if to_return.contains(unit) && !returned.contains(unit) {
                    let comments = "请补充欠薪纠纷的化解进展、包案领导和化解时限后重新报送。";
                    if self.review(at, unit, week, report.filing, Some(comments)).await? {
                        returned.insert(unit.clone());
                        sent_back.push((unit.clone(), at.to_owned()));
                        tally.returned += 1;
                    }
                } else if self.review(at, unit, week, report.filing, None).await? {
                    tally.approved += 1;
                }
            }
            self.drained().await?;
            // The returned ones refile once the return has reached them.
            for (unit, _) in &sent_back {
                let report = self.arrived(unit, week, pb::WeeklyState::Returned).await?;
                self.file(unit, week, report.filing, rng).await?;
                tally.filed += 1;
            }
            if !sent_back.is_empty() {
                self.drained().await?;
                for (unit, at) in &sent_back {
                    let report = self.report(at, unit, week).await?;
                    if self.review(at, unit, week, report.filing, None).await? {
                        tally.approved += 1;
                    }
                }
                self.drained().await?;
            }
        }
        Ok(())
    }

    /// The week's cycle on the Monday after it.
    pub(super) async fn run_week(
        &self,
        week: IsoWeek,
        rng: &mut ChaCha8Rng,
        tally: &mut Tally,
    ) -> Result<()> {
        let monday = week.monday() + Days::days(7);
        let filers = self.filers();
        let root = self.tree.root_id().as_str();
        let late: HashSet<String> =
            filers.iter().filter(|f| f.0 != root && rng.random_bool(0.05)).map(|f| f.0.clone()).collect();
        let to_return: HashSet<String> =
            filers.iter().filter(|f| f.0 != root && rng.random_bool(0.04)).map(|f| f.0.clone()).collect();
        let mut returned = HashSet::new();
        // Everything reported for the week has reached the filing nodes.
        self.drained().await?;
        self.clock.set(super::local(self.policy, monday, 10, 30));
        for (unit, _, _) in filers.iter().filter(|f| !late.contains(&f.0)) {
            self.file(unit, week, 0, rng).await?;
            tally.filed += 1;
        }
        self.drained().await?;
        self.clock.set(super::local(self.policy, monday, 11, 0));
        self.review_up(&filers, week, &to_return, &mut returned, rng, tally).await?;
        // The late ones, after the due time; the review goes on.
        self.clock.set(super::local(self.policy, monday, 13, 30));
        for (unit, _, _) in filers.iter().filter(|f| late.contains(&f.0)) {
            self.file(unit, week, 0, rng).await?;
            tally.filed += 1;
            tally.late += 1;
        }
        self.drained().await?;
        self.clock.set(super::local(self.policy, monday, 14, 0));
        self.review_up(&filers, week, &to_return, &mut returned, rng, tally).await?;
        let district = self.report(root, root, week).await?;
        if district.state != pb::WeeklyState::Approved as i32 {
            bail!("the district's weekly report for {week} was not approved at the end of the cycle");
        }
        tally.weeks.push(week);
        Ok(())
    }
}
