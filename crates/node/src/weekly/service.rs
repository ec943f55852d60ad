//! `fengqiao.v1.WeeklyService`'s handlers.

use chrono::NaiveDate;
use fengqiao_core::authz::{Rpc, Target};
use fengqiao_core::weekly::{AccountabilityKind, Step, week_over_at};
use fengqiao_core::{DomainError, IsoWeek, UnitId, why};
use fengqiao_proto::pb;
use fengqiao_proto::pb::weekly_service_server::WeeklyService;
use fengqiao_proto::{parse_date, parse_unit_id, timestamp};
use tonic::{Request, Response, Status};
use tracing::instrument;

use super::{MAX_NARRATIVE_CHARS, MAX_REASON_CHARS, check_length, due_at, load, report_of, sync};
use crate::audit::{Auditor, rpc};
use crate::caller::Caller;
use crate::{Node, NodeError};

/// The `node_meta` key numbering the accountability actions recorded here.
const ACTION_SEQ_KEY: &str = "accountability_seq";
/// Most missing reports and overdue cases an action's evidence lists.
pub const MAX_EVIDENCE_ITEMS: usize = 1000;
/// Longest evidence period, in days.
pub const MAX_EVIDENCE_DAYS: i64 = 366;

/// The weekly service over a [`Node`].
#[derive(Debug, Clone)]
pub struct WeeklyReports {
    node: Node,
}

/// The domain's kind of a wire kind.
pub(crate) fn kind_of(kind: pb::AccountabilityKind) -> Option<AccountabilityKind> {
    match kind {
        pb::AccountabilityKind::Criticism => Some(AccountabilityKind::Criticism),
        pb::AccountabilityKind::Admonition => Some(AccountabilityKind::Admonition),
        pb::AccountabilityKind::Commendation => Some(AccountabilityKind::Commendation),
        pb::AccountabilityKind::Unspecified => None,
    }
}

fn wire_kind(kind: AccountabilityKind) -> pb::AccountabilityKind {
    match kind {
        AccountabilityKind::Criticism => pb::AccountabilityKind::Criticism,
        AccountabilityKind::Admonition => pb::AccountabilityKind::Admonition,
        AccountabilityKind::Commendation => pb::AccountabilityKind::Commendation,
    }
}

impl WeeklyReports {
    pub fn new(node: Node) -> Self {
        WeeklyReports { node }
    }

    fn week(&self, value: &str) -> Result<IsoWeek, NodeError> {
        Ok(IsoWeek::parse(value, "iso_week")?)
    }

    /// The unit a request names, served by this node.
    fn unit(&self, value: &str) -> Result<UnitId, NodeError> {
        let unit = parse_unit_id(value, "unit_id")?;
        self.node.served_unit(unit.as_str())?;
        Ok(unit)
    }

    /// Whether this node reviews its home unit's own weekly report: with
    /// no parent, or when weekly steps do not travel up (a district sending
    /// its parent summaries: the summary boundary ends the review chain).
    fn reviews_its_own(&self) -> bool {
        self.node.config().parent.is_none()
            || matches!(self.node.uplink_mode(), crate::UplinkMode::Summaries { .. })
    }

    fn home(&self) -> &str {
        &self.node.config().home_unit
    }

    /// The actor of a step: the verified person (the signer), or the
    /// insecure local operator.
    fn actor<T>(&self, request: &Request<T>) -> Result<pb::Actor, NodeError> {
        let actor = self.node.actor(request, "", None, "actor")?;
        Ok(pb::Actor::from(&actor))
    }

    /// A leader of this node's home unit takes review steps here.
    fn check_reviewer(&self, caller: &Caller) -> Result<(), NodeError> {
        if let Caller::Verified(identity) = caller
            && identity.unit().as_str() != self.home()
        {
            return Err(NodeError::PermissionDenied(why!(
                WEEKLY_REVIEWED_BY_HOME_LEADER,
                "weekly reports are reviewed at {home}'s node by a leader of {home}, not of {unit}",
                home = self.home(),
                unit = identity.unit()
            )));
        }
        Ok(())
    }

    /// Stores a step taken here: queued for the parent, sent down when its
    /// unit lies below a child node; answers with the week.
    async fn take(
        &self,
        caller: &Caller,
        rpc_name: &str,
        event: pb::WeeklyEvent,
    ) -> Result<pb::WeeklyReport, NodeError> {
        let by = Auditor::caller(caller, rpc_name);
        let what = format!("weekly {} {} filing {} {}", event.unit_id, event.iso_week, event.filing, {
            Step::from_number(event.step).map_or("?", Step::as_str)
        });
        sync::store_steps(
            &self.node,
            std::slice::from_ref(&event),
            true,
            vec![by.record(&self.node, what.clone())],
        )
        .await?;
        sync::send_down(&self.node, &event, by.record(&self.node, format!("downlink {what}"))).await?;
        let unit = UnitId::parse(&event.unit_id)?;
        let (week, events) = load(&self.node, &unit, self.week(&event.iso_week)?).await?;
        Ok(report_of(&self.node, &week, Some(events)))
    }

    fn event(
        &self,
        unit: &UnitId,
        week: IsoWeek,
        filing: u32,
        step: Step,
        actor: pb::Actor,
    ) -> pb::WeeklyEvent {
        pb::WeeklyEvent {
            unit_id: unit.to_string(),
            iso_week: week.to_string(),
            filing,
            step: step.number(),
            at: Some(timestamp(self.node.clock().now())),
            actor: Some(actor),
            by_unit_id: self.home().to_owned(),
            ..pb::WeeklyEvent::default()
        }
    }

    async fn file(
        &self,
        request: Request<pb::FileWeeklyReportRequest>,
    ) -> Result<pb::WeeklyReport, NodeError> {
        let caller =
            self.node.authorize(&request, Rpc::FileWeekly, Target::Unit(&request.get_ref().unit_id))?;
        let actor = self.actor(&request)?;
        let request = request.into_inner();
        let unit = self.unit(&request.unit_id)?;
        let week = self.week(&request.iso_week)?;
        if unit.as_str() != self.home() {
            return Err(DomainError::FailedPrecondition(why!(
                WEEKLY_FILED_AT_OWN_NODE,
                "{unit} does not run this node ({home}): a unit files its weekly report at its own node",
                unit = unit,
                home = self.home()
            ))
            .into());
        }
        let narrative = request.narrative.unwrap_or_default();
        for (value, field) in [
            (&narrative.main_disputes, "narrative.main_disputes"),
            (&narrative.cases, "narrative.cases"),
            (&narrative.help_needed, "narrative.help_needed"),
            (&narrative.next_week_focus, "narrative.next_week_focus"),
        ] {
            check_length(value, MAX_NARRATIVE_CHARS, field)?;
        }
        let now = self.node.clock().now();
        let over = week_over_at(&self.node.config().time, week);
        if now < over {
            return Err(DomainError::FailedPrecondition(why!(
                WEEK_NOT_OVER,
                "week {week} is not over until {over}: its report is filed after its last day's cut-off",
                week = week,
                over = over.format("%Y-%m-%dT%H:%M:%SZ")
            ))
            .into());
        }
        if let Some(start) = self.node.config().reporting_start
            && week.sunday() < start
        {
            return Err(DomainError::FailedPrecondition(why!(
                WEEK_BEFORE_REPORTING_START,
                "week {week} ended before reporting started on {start}",
                week = week,
                start = start
            ))
            .into());
        }
        let _writer = self.node.weekly().writer.lock().await;
        let (current, _) = load(&self.node, &unit, week).await?;
        let filing = current.check_file(request.expected_filing)?;
        let figures = crate::summary::Summaries::new(self.node.clone())
            .summary(unit.as_str(), week.monday(), week.sunday(), Some(week))
            .await?;
        let due = due_at(&self.node, week);
        let first = current.first_filed_at().unwrap_or(now);
        let mut event = self.event(&unit, week, filing, Step::Filed, actor);
        event.filed = Some(pb::WeeklyFiling {
            figures: Some(pb::Summary::from(&figures)),
            narrative: Some(narrative),
            due_at: Some(timestamp(due)),
            late: first > due,
            child_node_unit_ids: super::filing_children(&self.node),
        });
        self.take(&caller, rpc::FILE_WEEKLY, event).await
    }

    async fn withdraw(
        &self,
        request: Request<pb::WithdrawWeeklyReportRequest>,
    ) -> Result<pb::WeeklyReport, NodeError> {
        let caller =
            self.node.authorize(&request, Rpc::WithdrawWeekly, Target::Unit(&request.get_ref().unit_id))?;
        let actor = self.actor(&request)?;
        let request = request.into_inner();
        let unit = self.unit(&request.unit_id)?;
        let week = self.week(&request.iso_week)?;
        check_length(&request.reason, MAX_REASON_CHARS, "reason")?;
        if unit.as_str() != self.home() {
            return Err(DomainError::FailedPrecondition(why!(
                WEEKLY_FILED_AT_OWN_NODE,
                "{unit} does not run this node ({home}): a unit files its weekly report at its own node",
                unit = unit,
                home = self.home()
            ))
            .into());
        }
        let _writer = self.node.weekly().writer.lock().await;
        let (current, _) = load(&self.node, &unit, week).await?;
        current.check_withdraw(request.filing)?;
        let mut event = self.event(&unit, week, request.filing, Step::Withdrawn, actor);
        event.text = request.reason;
        self.take(&caller, rpc::WITHDRAW_WEEKLY, event).await
    }

    async fn review(
        &self,
        request: Request<pb::ReviewWeeklyReportRequest>,
    ) -> Result<pb::WeeklyReport, NodeError> {
        let caller =
            self.node.authorize(&request, Rpc::ReviewWeekly, Target::Unit(&request.get_ref().unit_id))?;
        self.check_reviewer(&caller)?;
        let actor = self.actor(&request)?;
        let request = request.into_inner();
        let unit = self.unit(&request.unit_id)?;
        let week = self.week(&request.iso_week)?;
        let approve = match pb::WeeklyDecision::try_from(request.decision) {
            Ok(pb::WeeklyDecision::Approve) => true,
            Ok(pb::WeeklyDecision::Return) => false,
            _ => {
                return Err(DomainError::invalid(
                    "decision",
                    why!(MUST_BE_APPROVE_OR_RETURN, "must be APPROVE or RETURN"),
                )
                .into());
            }
        };
        if !approve {
            fengqiao_proto::parse_text(request.comments.clone(), "comments")?;
        }
        check_length(&request.comments, MAX_NARRATIVE_CHARS, "comments")?;
        let is_child = self.node.child_nodes().iter().any(|child| child == unit.as_str());
        let is_root_itself = unit.as_str() == self.home() && self.reviews_its_own();
        if !is_child && !is_root_itself {
            return Err(DomainError::FailedPrecondition(why!(
                WEEKLY_NOT_REVIEWED_HERE,
                "{unit}'s weekly report is not reviewed at {home}'s node: the node above a unit reviews it (the root its own)",
                unit = unit,
                home = self.home()
            ))
            .into());
        }
        let _writer = self.node.weekly().writer.lock().await;
        let (current, _) = load(&self.node, &unit, week).await?;
        let monday = week.monday();
        let book = self.node.weekly();
        current.check_review(request.filing, approve, &|child| {
            book.approval(child.as_str(), monday).is_some()
        })?;
        let step = if approve { Step::Approved } else { Step::Returned };
        let mut event = self.event(&unit, week, request.filing, step, actor);
        event.text = request.comments;
        event.reviewer_unit_id = self.home().to_owned();
        self.take(&caller, rpc::REVIEW_WEEKLY, event).await
    }

    async fn unapprove(
        &self,
        request: Request<pb::UnapproveWeeklyReportRequest>,
    ) -> Result<pb::WeeklyReport, NodeError> {
        let caller =
            self.node.authorize(&request, Rpc::UnapproveWeekly, Target::Unit(&request.get_ref().unit_id))?;
        self.check_reviewer(&caller)?;
        let actor = self.actor(&request)?;
        let request = request.into_inner();
        let unit = self.unit(&request.unit_id)?;
        let week = self.week(&request.iso_week)?;
        fengqiao_proto::parse_text(request.reason.clone(), "reason")?;
        check_length(&request.reason, MAX_REASON_CHARS, "reason")?;
        let below_a_child = self.node.delegated_to(unit.as_str()).is_some();
        let is_root_itself = unit.as_str() == self.home() && self.reviews_its_own();
        if !below_a_child && !is_root_itself {
            return Err(DomainError::FailedPrecondition(why!(
                WEEKLY_NOT_UNAPPROVED_HERE,
                "{unit}'s weekly report is not approved at or below {home}'s node: unapprove it where it was approved or above",
                unit = unit,
                home = self.home()
            ))
            .into());
        }
        let _writer = self.node.weekly().writer.lock().await;
        let (current, _) = load(&self.node, &unit, week).await?;
        let monday = week.monday();
        // The unit above: the reviewer of this unit's approval (none at the root).
        let reviewer = current.approval().and_then(|approval| approval.reviewer);
        let parent_approval = reviewer
            .filter(|reviewer| reviewer != &unit)
            .and_then(|reviewer| self.node.weekly().approval(reviewer.as_str(), monday));
        current.check_unapprove(request.filing, parent_approval.as_ref())?;
        let mut event = self.event(&unit, week, request.filing, Step::Unapproved, actor);
        event.text = request.reason;
        event.reviewer_unit_id = self.home().to_owned();
        self.take(&caller, rpc::UNAPPROVE_WEEKLY, event).await
    }

    /// The filing units under `unit` for `week`: this node's child nodes
    /// when `unit` is its home, else those its latest filing lists.
    async fn filers_under(&self, unit: &UnitId, week: IsoWeek) -> Result<Vec<UnitId>, NodeError> {
        if unit.as_str() == self.home() {
            return super::filing_children(&self.node).iter().map(|c| Ok(UnitId::parse(c)?)).collect();
        }
        let (current, _) = load(&self.node, unit, week).await?;
        Ok(current.child_nodes().to_vec())
    }

    async fn status(&self, request: pb::WeeklyStatusRequest) -> Result<pb::WeeklyStatusResponse, NodeError> {
        let unit = self.unit(&request.unit_id)?;
        let week = self.week(&request.iso_week)?;
        let (own, _) = load(&self.node, &unit, week).await?;
        let mut children = Vec::new();
        for child in self.filers_under(&unit, week).await? {
            let (child_week, _) = load(&self.node, &child, week).await?;
            children.push(report_of(&self.node, &child_week, None));
        }
        let count =
            |state: pb::WeeklyState| children.iter().filter(|r| r.state == state as i32).count() as u32;
        let filed = children
            .iter()
            .filter(|r| {
                matches!(
                    pb::WeeklyState::try_from(r.state),
                    Ok(pb::WeeklyState::Filed | pb::WeeklyState::Approved)
                )
            })
            .count() as u32;
        let tree = self.node.tree();
        let held = self
            .node
            .store()
            .held_for_approval()
            .await?
            .into_iter()
            .filter(|row| IsoWeek::of(row.report_date) == week && tree.is_within(&row.unit_id, unit.as_str()))
            .map(|row| pb::HeldForApproval {
                unit_id: row.unit_id,
                date: row.report_date.to_string(),
                revision: u32::try_from(row.revision).unwrap_or(u32::MAX),
                locked_by_unit_id: row.locked_by,
                held_at: Some(timestamp(row.held_at)),
            })
            .collect();
        Ok(pb::WeeklyStatusResponse {
            unit_id: unit.to_string(),
            iso_week: week.to_string(),
            own: Some(report_of(&self.node, &own, None)),
            filed,
            approved: count(pb::WeeklyState::Approved),
            returned: count(pb::WeeklyState::Returned),
            late: children.iter().filter(|r| r.late).count() as u32,
            not_filed: children
                .iter()
                .filter(|r| {
                    matches!(
                        pb::WeeklyState::try_from(r.state),
                        Ok(pb::WeeklyState::NotFiled | pb::WeeklyState::Overdue)
                    )
                })
                .count() as u32,
            children,
            held,
        })
    }

    async fn record(
        &self,
        request: Request<pb::RecordAccountabilityRequest>,
    ) -> Result<pb::RecordAccountabilityResponse, NodeError> {
        let caller = self.node.authorize(
            &request,
            Rpc::RecordAccountability,
            Target::Unit(&request.get_ref().unit_id),
        )?;
        let actor = self.node.actor(&request, "", None, "actor")?;
        let request = request.into_inner();
        let unit = self.unit(&request.unit_id)?;
        let kind =
            pb::AccountabilityKind::try_from(request.kind).ok().and_then(kind_of).ok_or_else(|| {
                DomainError::invalid(
                    "kind",
                    why!(MUST_BE_ACCOUNTABILITY_KIND, "must be CRITICISM, ADMONITION or COMMENDATION"),
                )
            })?;
        let reason = fengqiao_proto::parse_text(request.reason, "reason")?;
        check_length(&reason, MAX_REASON_CHARS, "reason")?;
        let from = parse_date(&request.from_date, "from_date")?;
        let to = parse_date(&request.to_date, "to_date")?;
        if to < from || (to - from).num_days() >= MAX_EVIDENCE_DAYS {
            return Err(DomainError::invalid(
                "to_date",
                why!(
                    MUST_BE_ON_AFTER_FROM_DATE,
                    "must be on or after from_date, at most {max} days",
                    max = MAX_EVIDENCE_DAYS
                ),
            )
            .into());
        }
        if unit.as_str() == self.home() {
            return Err(DomainError::FailedPrecondition(why!(
                ACCOUNTABILITY_BELOW_ONLY,
                "an accountability action is recorded against a unit below {home}, not against it",
                home = self.home()
            ))
            .into());
        }
        let evidence = super::annual::evidence(&self.node, &unit, from, to).await?;
        let now = self.node.clock().now();
        let recorded_on = self.node.config().time.local_date(now);
        let by = Auditor::caller(&caller, rpc::RECORD_ACCOUNTABILITY);
        let _writer = self.node.weekly().writer.lock().await;
        let seq = self
            .node
            .store()
            .get_meta(ACTION_SEQ_KEY)
            .await?
            .and_then(|v| v.parse::<u64>().ok())
            .unwrap_or(0)
            + 1;
        self.node.store().set_meta(ACTION_SEQ_KEY, &seq.to_string()).await?;
        let action = pb::AccountabilityAction {
            action_id: format!("{}-A{seq:05}", self.home()),
            unit_id: unit.to_string(),
            unit_name: self.node.tree().get(unit.as_str()).map(|u| u.name.clone()).unwrap_or_default(),
            kind: wire_kind(kind).into(),
            reason: reason.clone(),
            recorded_by_unit_id: self.home().to_owned(),
            actor: Some(pb::Actor::from(&actor)),
            recorded_at: Some(timestamp(now)),
            recorded_on: recorded_on.to_string(),
            evidence: Some(evidence),
        };
        let audit =
            by.record(&self.node, format!("accountability {} {} {}", action.action_id, kind.as_str(), unit));
        sync::store_action(&self.node, &action, Some(audit)).await?;
        // The notice: to the unit and every unit between it and this node's home.
        let place = action
            .evidence
            .as_ref()
            .and_then(|e| e.place.as_ref())
            .and_then(|p| p.row.as_ref().map(|r| (r.rank, p.rows)));
        let text = format!(
            "【{}】{}（{}）：{}（依据 {} 至 {}{}；编号 {}）",
            kind.chinese(),
            action.unit_name,
            unit,
            reason,
            from,
            to,
            place.map(|(rank, rows)| format!("，排名 {rank}/{rows}")).unwrap_or_default(),
            action.action_id
        );
        let text: String = text.chars().take(2000).collect();
        let tree = self.node.tree();
        let mut target = Some(unit.clone());
        while let Some(current) = target {
            if current.as_str() == self.home() {
                break;
            }
            let notice = pb::Notice {
                notice_id: format!("{}-{}", action.action_id, current),
                from_unit_id: self.home().to_owned(),
                text: text.clone(),
                sender: action.actor.clone(),
            };
            let audit = by.record(&self.node, format!("notice {} to {current}", notice.notice_id));
            crate::downlink_log::route_notice(&self.node, &current, notice, now, audit).await?;
            target = tree.get(current.as_str()).and_then(|u| u.parent.clone());
        }
        Ok(pb::RecordAccountabilityResponse { action: Some(action) })
    }

    /// The actions against units of `unit`'s subtree recorded in `year`.
    pub(crate) async fn actions(
        &self,
        unit: &UnitId,
        year: i32,
        kind: Option<AccountabilityKind>,
    ) -> Result<pb::ListAccountabilityResponse, NodeError> {
        let from = NaiveDate::from_ymd_opt(year, 1, 1).expect("valid");
        let to = NaiveDate::from_ymd_opt(year, 12, 31).expect("valid");
        let tree = self.node.tree();
        let mut actions = Vec::new();
        for row in self.node.store().accountability_between(from, to).await? {
            if !tree.is_within(&row.unit_id, unit.as_str()) {
                continue;
            }
            if kind.is_some_and(|kind| kind.as_str() != row.kind) {
                continue;
            }
            let action =
                <pb::AccountabilityAction as prost::Message>::decode(row.body.as_slice()).map_err(|e| {
                    NodeError::from(fengqiao_store::StoreError::Corrupt(format!(
                        "accountability action {} does not decode: {e}",
                        row.action_id
                    )))
                })?;
            actions.push(action);
        }
        let units_by_kind = AccountabilityKind::ALL
            .into_iter()
            .map(|kind| {
                let of_kind: Vec<&pb::AccountabilityAction> =
                    actions.iter().filter(|a| a.kind == wire_kind(kind) as i32).collect();
                let units: std::collections::BTreeSet<&str> =
                    of_kind.iter().map(|a| a.unit_id.as_str()).collect();
                pb::AccountabilityCount {
                    kind: wire_kind(kind).into(),
                    actions: of_kind.len() as u32,
                    units: units.len() as u32,
                }
            })
            .collect();
        Ok(pb::ListAccountabilityResponse { actions, units_by_kind })
    }
}

/// A year on the wire: 1900–9999.
pub(crate) fn year_of(value: u32) -> Result<i32, DomainError> {
    if !(1900..=9999).contains(&value) {
        return Err(DomainError::invalid("year", why!(NOT_A_YEAR, "must be a year from 1900 to 9999")));
    }
    Ok(value as i32)
}

#[tonic::async_trait]
impl WeeklyService for WeeklyReports {
    #[instrument(name = "rpc.file_weekly_report", skip_all, fields(unit = %request.get_ref().unit_id, week = %request.get_ref().iso_week))]
    async fn file_weekly_report(
        &self,
        request: Request<pb::FileWeeklyReportRequest>,
    ) -> Result<Response<pb::FileWeeklyReportResponse>, Status> {
        Ok(Response::new(pb::FileWeeklyReportResponse { report: Some(self.file(request).await?) }))
    }

    #[instrument(name = "rpc.withdraw_weekly_report", skip_all, fields(unit = %request.get_ref().unit_id, week = %request.get_ref().iso_week))]
    async fn withdraw_weekly_report(
        &self,
        request: Request<pb::WithdrawWeeklyReportRequest>,
    ) -> Result<Response<pb::WithdrawWeeklyReportResponse>, Status> {
        Ok(Response::new(pb::WithdrawWeeklyReportResponse { report: Some(self.withdraw(request).await?) }))
    }

    #[instrument(name = "rpc.review_weekly_report", skip_all, fields(unit = %request.get_ref().unit_id, week = %request.get_ref().iso_week))]
    async fn review_weekly_report(
        &self,
        request: Request<pb::ReviewWeeklyReportRequest>,
    ) -> Result<Response<pb::ReviewWeeklyReportResponse>, Status> {
        Ok(Response::new(pb::ReviewWeeklyReportResponse { report: Some(self.review(request).await?) }))
    }

    #[instrument(name = "rpc.unapprove_weekly_report", skip_all, fields(unit = %request.get_ref().unit_id, week = %request.get_ref().iso_week))]
    async fn unapprove_weekly_report(
        &self,
        request: Request<pb::UnapproveWeeklyReportRequest>,
    ) -> Result<Response<pb::UnapproveWeeklyReportResponse>, Status> {
        Ok(Response::new(pb::UnapproveWeeklyReportResponse { report: Some(self.unapprove(request).await?) }))
    }

    #[instrument(name = "rpc.get_weekly_report", skip_all, fields(unit = %request.get_ref().unit_id, week = %request.get_ref().iso_week))]
    async fn get_weekly_report(
        &self,
        request: Request<pb::GetWeeklyReportRequest>,
    ) -> Result<Response<pb::GetWeeklyReportResponse>, Status> {
        self.node.authorize(&request, Rpc::ReadWeekly, Target::Unit(&request.get_ref().unit_id))?;
        let request = request.into_inner();
        let unit = self.unit(&request.unit_id)?;
        let week = self.week(&request.iso_week)?;
        let (current, events) = load(&self.node, &unit, week).await?;
        Ok(Response::new(pb::GetWeeklyReportResponse {
            report: Some(report_of(&self.node, &current, Some(events))),
        }))
    }

    #[instrument(name = "rpc.weekly_status", skip_all, fields(unit = %request.get_ref().unit_id, week = %request.get_ref().iso_week))]
    async fn weekly_status(
        &self,
        request: Request<pb::WeeklyStatusRequest>,
    ) -> Result<Response<pb::WeeklyStatusResponse>, Status> {
        self.node.authorize(&request, Rpc::ReadWeekly, Target::Unit(&request.get_ref().unit_id))?;
        Ok(Response::new(self.status(request.into_inner()).await?))
    }

    #[instrument(name = "rpc.record_accountability", skip_all, fields(unit = %request.get_ref().unit_id))]
    async fn record_accountability(
        &self,
        request: Request<pb::RecordAccountabilityRequest>,
    ) -> Result<Response<pb::RecordAccountabilityResponse>, Status> {
        Ok(Response::new(self.record(request).await?))
    }

    #[instrument(name = "rpc.list_accountability", skip_all, fields(unit = %request.get_ref().unit_id))]
    async fn list_accountability(
        &self,
        request: Request<pb::ListAccountabilityRequest>,
    ) -> Result<Response<pb::ListAccountabilityResponse>, Status> {
        self.node.authorize(&request, Rpc::ReadWeekly, Target::Unit(&request.get_ref().unit_id))?;
        let request = request.into_inner();
        let unit = self.unit(&request.unit_id).map_err(Status::from)?;
        let year = year_of(request.year).map_err(NodeError::from)?;
        let kind = match pb::AccountabilityKind::try_from(request.kind) {
            Ok(pb::AccountabilityKind::Unspecified) => None,
            Ok(kind) => kind_of(kind),
            Err(_) => {
                return Err(NodeError::from(DomainError::invalid(
                    "kind",
                    why!(MUST_BE_ACCOUNTABILITY_KIND, "must be CRITICISM, ADMONITION or COMMENDATION"),
                ))
                .into());
            }
        };
        Ok(Response::new(self.actions(&unit, year, kind).await?))
    }

    #[instrument(name = "rpc.annual_report", skip_all, fields(unit = %request.get_ref().unit_id, year = request.get_ref().year))]
    async fn annual_report(
        &self,
        request: Request<pb::AnnualReportRequest>,
    ) -> Result<Response<pb::AnnualReportResponse>, Status> {
        self.node.authorize(&request, Rpc::ReadWeekly, Target::Unit(&request.get_ref().unit_id))?;
        let request = request.into_inner();
        let unit = self.unit(&request.unit_id)?;
        let year = year_of(request.year).map_err(NodeError::from)?;
        Ok(Response::new(super::annual::annual(self, &self.node, &unit, year).await?))
    }
}
