//! `fengqiao case transfer-dept | assign-dept | report-back`: a case and the
//! departments (职能部门) of its owner unit — 转办 (the department holds the
//! case), 交办 (the department reports back by a date), and the report.

use anyhow::Result;
use fengqiao_proto::pb::act_on_case_request::{self as act, Action};

use super::{CaseAction, optional_date};
use crate::connection::Connection;

#[derive(Debug, clap::Args)]
pub struct TransferDeptArgs {
    /// The department of the case's owner unit that takes the case (转办), UNIT:CODE (410411:hrss).
    #[arg(long, value_name = "UNIT:CODE")]
    pub department: String,
    /// Why the department takes it.
    #[arg(long)]
    pub reason: String,
    /// YYYY-MM-DD: the department's deadline; not after the case's (the default).
    #[arg(long)]
    pub deadline: Option<String>,
}

impl CaseAction for TransferDeptArgs {
    fn action(self, connection: &Connection, _: &str) -> Result<Action> {
        let deadline = optional_date(connection, self.deadline.as_deref(), "--deadline")?;
        Ok(Action::TransferToDepartment(act::TransferToDepartment {
            department_id: self.department,
            reason: self.reason,
            deadline,
        }))
    }
}

#[derive(Debug, clap::Args)]
pub struct AssignDeptArgs {
    /// The department of the case's owner unit asked to act and report back (交办), UNIT:CODE.
    #[arg(long, value_name = "UNIT:CODE")]
    pub department: String,
    /// YYYY-MM-DD: the day the department reports back by; not after the case's deadline.
    #[arg(long)]
    pub report_by: String,
}

impl CaseAction for AssignDeptArgs {
    fn action(self, connection: &Connection, _: &str) -> Result<Action> {
        let report_by = connection.date(&self.report_by, "--report-by")?.to_string();
        Ok(Action::AssignToDepartment(act::AssignToDepartment { department_id: self.department, report_by }))
    }
}

#[derive(Debug, clap::Args)]
pub struct ReportBackArgs {
    /// What the department did (no names, phone numbers or ID numbers).
    #[arg(long)]
    pub report: String,
    /// The department reporting, UNIT:CODE; leave it out with a department's certificate (it is
    /// yours). A unit's officer or leader names the department they report for.
    #[arg(long, value_name = "UNIT:CODE")]
    pub department: Option<String>,
}

impl CaseAction for ReportBackArgs {
    fn action(self, _: &Connection, _: &str) -> Result<Action> {
        Ok(Action::ReportBack(act::ReportBack {
            report: self.report,
            department_id: self.department.unwrap_or_default(),
        }))
    }
}
