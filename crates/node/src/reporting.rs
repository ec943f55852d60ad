//! `fengqiao.v1.ReportingService`: submit, read and list daily reports.

use chrono::{Duration, NaiveDate};
use fengqiao_core::revision::Source;
use fengqiao_core::why;
use fengqiao_core::{Applied, DailyReport, DomainError, Revision, StoredReport, UnitId};
use fengqiao_proto::pb::reporting_service_server::ReportingService;
use fengqiao_proto::pb::{
    GetDailyReportRequest, GetDailyReportResponse, ListDailyReportsRequest, ListDailyReportsResponse,
    RevisionInfo, SubmitDailyReportRequest, SubmitDailyReportResponse,
};
use fengqiao_proto::{parse_date, parse_unit_id, pb, required_at, stored_report_to_pb, timestamp};
use fengqiao_store::{ListQuery, Submission};
use tonic::{Request, Response, Status};
use tracing::instrument;

use crate::audit::{Auditor, rpc};
use crate::caller::Caller;
use crate::{Node, NodeError, paging};
use fengqiao_core::authz::{Rpc, Target};

/// Default and largest page of `ListDailyReports`.
pub const DEFAULT_PAGE: u32 = 100;
pub const MAX_PAGE: u32 = 1000;
/// Longest date range of one `ListDailyReports` query, in days.
pub const MAX_LIST_DAYS: i64 = 366;

/// The reporting service over a [`Node`].
#[derive(Debug, Clone)]
pub struct Reporting {
    node: Node,
}

impl Reporting {
    pub fn new(node: Node) -> Self {
        Reporting { node }
    }

    fn on_time(&self, stored: &StoredReport) -> bool {
        self.node.config().time.is_on_time(stored.report.date(), stored.first_accepted_at)
    }

    async fn submit(
        &self,
        caller: &Caller,
        request: SubmitDailyReportRequest,
    ) -> Result<SubmitDailyReportResponse, NodeError> {
        let report: DailyReport = required_at(request.report, "report")?;
        let unit = self.node.served_unit(report.unit_id().as_str())?;
        if let Some(node_unit) = self.node.delegated_to(unit.id.as_str()) {
            return Err(NodeError::Delegated { unit: unit.id.to_string(), node_unit });
        }
        let now = self.node.clock().now();
        let today = self.node.config().time.local_date(now);
        report
            .check_admissible(&unit, today, self.node.config().reporting_start)
            .map_err(|e| e.within("report"))?;
        let date = report.date();
        // A week whose approval stands is locked: only an identical resend
        // passes (and is answered DUPLICATE as ever).
        if !self.node.weekly().is_empty()
            && let Some(approval) = self.node.weekly().lock_of(&self.node.tree(), report.unit_id(), date)
        {
            let head = self.node.store().get_report(report.unit_id(), date, None).await?;
            let resend = head.is_some_and(|head| {
                head.report.revision() == report.revision()
                    && head.report.content_hash() == report.content_hash()
            });
            if !resend {
                return Err(fengqiao_core::weekly::locked(&approval, report.unit_id(), date).into());
            }
        }
        // Appended in the batch's transaction if the report changes anything.
        let audit = Auditor::caller(caller, rpc::SUBMIT_DAILY_REPORT)
            .record(&self.node, format!("report {}@{date} r{}", report.unit_id(), report.revision().get()));
        let outcome = self
            .node
            .committer()
            .submit(Submission {
                report,
                source: Source::Reporter,
                accepted_at: now,
                first_accepted_at: None,
                // Kept with the outbox entry: the parent continues this trace.
                trace_parent: crate::propagation::traceparent(&tracing::Span::current()),
                audit,
            })
            .await?;
        self.node.metrics().report_accepted(outcome.applied);
        Ok(SubmitDailyReportResponse {
            revision: outcome.revision.get(),
            disposition: pb::Disposition::from(outcome.applied).into(),
            replaced_revision: match outcome.applied {
                Applied::Correction { replaced } => replaced.get(),
                _ => 0,
            },
            accepted_at: Some(timestamp(outcome.accepted_at)),
            on_time: self.node.config().time.is_on_time(date, outcome.first_accepted_at),
        })
    }

    async fn get(&self, request: GetDailyReportRequest) -> Result<GetDailyReportResponse, NodeError> {
        let unit_id = parse_unit_id(&request.unit_id, "unit_id")?;
        let date = parse_date(&request.date, "date")?;
        let revision = match request.revision {
            0 => None,
            r => Some(Revision::new(r)?),
        };
        self.node.served_unit(unit_id.as_str())?;
        let store = self.node.store();
        let stored = store.get_report(&unit_id, date, revision).await?.ok_or_else(|| {
            DomainError::NotFound(match revision {
                None => why!(
                    NO_REPORT_FROM_UNIT,
                    "no report from unit {unit} for {date}",
                    unit = &unit_id,
                    date = date
                ),
                Some(r) => why!(
                    NO_REVISION_OF_REPORT,
                    "no revision {revision} of the report from unit {unit} for {date}",
                    revision = r,
                    unit = &unit_id,
                    date = date
                ),
            })
        })?;
        let report = stored_report_to_pb(&stored, self.on_time(&stored));
        let history: Vec<RevisionInfo> = store
            .report_history(&unit_id, date)
            .await?
            .into_iter()
            .filter(|meta| meta.revision.get() > request.history_after_revision)
            .map(|meta| RevisionInfo {
                revision: meta.revision.get(),
                accepted_at: Some(timestamp(meta.accepted_at)),
                correction_reason: meta.correction_reason.unwrap_or_default(),
                zero: meta.zero,
                dispute_count: meta.dispute_count,
            })
            .collect();
        // The report and as much of its history as the answer's bound holds.
        let budget = paging::LIST_BUDGET.saturating_sub(paging::item_bytes(&report));
        let (history, more) = paging::page(history, usize::MAX, budget);
        let next_history_after_revision = match history.last() {
            Some(last) if more => last.revision,
            _ => 0,
        };
        Ok(GetDailyReportResponse { report: Some(report), history, next_history_after_revision })
    }

    async fn list(&self, request: ListDailyReportsRequest) -> Result<ListDailyReportsResponse, NodeError> {
        let root = parse_unit_id(&request.unit_id, "unit_id")?;
        let from = parse_date(&request.from_date, "from_date")?;
        let to = parse_date(&request.to_date, "to_date")?;
        if to < from {
            return Err(DomainError::invalid(
                "to_date",
                why!(BEFORE_FROM_DATE, "{to} is before from_date {from}", to = to, from = from),
            )
            .into());
        }
        if to - from >= Duration::days(MAX_LIST_DAYS) {
            return Err(DomainError::invalid(
                "to_date",
                why!(AT_MOST_DAYS_PER_QUERY, "at most {max} days per query", max = MAX_LIST_DAYS),
            )
            .into());
        }
        let limit = crate::paging::page_size(request.page_size, DEFAULT_PAGE, MAX_PAGE)?;
        let after = parse_page_token(&request.page_token)?;
        self.node.served_unit(root.as_str())?;
        // One more than the page, to know whether another page follows.
        let stored =
            self.node.store().list_reports(&ListQuery { root, from, to, after, limit: limit + 1 }).await?;
        let wire = stored.iter().map(|stored| stored_report_to_pb(stored, self.on_time(stored))).collect();
        // At most `limit` reports, and no more than the answer's bound in bytes.
        let (reports, more) = paging::page(wire, limit as usize, paging::LIST_BUDGET);
        let next_page_token = match stored.get(reports.len().wrapping_sub(1)) {
            Some(last) if more => page_token(last.report.date(), last.report.unit_id()),
            _ => String::new(),
        };
        Ok(ListDailyReportsResponse { reports, next_page_token })
    }
}

/// A page token: where the previous page ended.
fn page_token(date: NaiveDate, unit: &UnitId) -> String {
    format!("{date}/{unit}")
}

fn parse_page_token(token: &str) -> Result<Option<(NaiveDate, UnitId)>, DomainError> {
    if token.is_empty() {
        return Ok(None);
    }
    let bad = crate::paging::foreign_token;
    let (date, unit) = token.split_once('/').ok_or_else(bad)?;
    let date = parse_date(date, "page_token").map_err(|_| bad())?;
    let unit = UnitId::parse(unit).map_err(|_| bad())?;
    Ok(Some((date, unit)))
}

#[tonic::async_trait]
impl ReportingService for Reporting {
    #[instrument(name = "rpc.submit_daily_report", skip_all, fields(
        unit = request.get_ref().report.as_ref().map(|r| r.unit_id.as_str()).unwrap_or(""),
        date = request.get_ref().report.as_ref().map(|r| r.date.as_str()).unwrap_or(""),
    ))]
    async fn submit_daily_report(
        &self,
        request: Request<SubmitDailyReportRequest>,
    ) -> Result<Response<SubmitDailyReportResponse>, Status> {
        let unit = request.get_ref().report.as_ref().map_or("", |r| r.unit_id.as_str());
        let metrics = self.node.metrics();
        let caller = self
            .node
            .authorize(&request, Rpc::SubmitDailyReport, Target::Unit(unit))
            .inspect_err(|error| metrics.report_rejected(error))?;
        // Filed under the caller's certificate: a report naming somebody
        // else as its reporter is refused.
        let stated = request.get_ref().report.as_ref().map_or("", |r| r.reporter.as_str());
        let reporter = self
            .node
            .reporter(&request, stated, "report.reporter")
            .inspect_err(|error| metrics.report_rejected(error))?;
        let mut request = request.into_inner();
        if let Some(report) = request.report.as_mut() {
            report.reporter = reporter;
        }
        match self.submit(&caller, request).await {
            Ok(response) => Ok(Response::new(response)),
            Err(error) => {
                metrics.report_rejected(&error);
                Err(error.into())
            }
        }
    }

    #[instrument(name = "rpc.get_daily_report", skip_all, fields(unit = %request.get_ref().unit_id))]
    async fn get_daily_report(
        &self,
        request: Request<GetDailyReportRequest>,
    ) -> Result<Response<GetDailyReportResponse>, Status> {
        self.node.authorize(&request, Rpc::GetDailyReport, Target::Unit(&request.get_ref().unit_id))?;
        Ok(Response::new(self.get(request.into_inner()).await?))
    }

    #[instrument(name = "rpc.list_daily_reports", skip_all, fields(unit = %request.get_ref().unit_id))]
    async fn list_daily_reports(
        &self,
        request: Request<ListDailyReportsRequest>,
    ) -> Result<Response<ListDailyReportsResponse>, Status> {
        self.node.authorize(&request, Rpc::ListDailyReports, Target::Unit(&request.get_ref().unit_id))?;
        Ok(Response::new(self.list(request.into_inner()).await?))
    }
}
