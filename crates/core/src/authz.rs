//! Who may call what: the authorization rules of every RPC, free of I/O.
//!
//! A caller's [`Identity`] names a unit; the node holds a [`UnitTree`] rooted
//! at its home unit. Every rule is bounded by the caller's place in that tree:
//! the [`Relation`] of the target unit to the caller's unit. A caller whose
//! unit is not in this node's tree (another district, or a tier above this
//! node's home) is refused everything: people call the node of their own
//! tier, and nodes call only their parent. (`grpc.health.v1` and server
//! reflection carry no data and stay open to any verified caller.)
//!
//! Scopes, for the target unit `t` of a caller at unit `u`:
//!
//! - **own**: `t` is `u`;
//! - **subtree**: `t` is `u` or lies below it;
//! - **below**: `t` lies strictly below `u`;
//! - **node-wide**: no target unit (the caller's unit must still be in the tree);
//! - **child**: the caller is a node whose unit is one of this node's child
//!   nodes (units below with nodes of their own), and `t` lies in that child
//!   node's subtree (**child own**: `t` is the child node's unit);
//! - `—`: never.
//!
//! | RPC                                    | reporter | officer | leader  | admin   | auditor | node       |
//! |----------------------------------------|----------|---------|---------|---------|---------|------------|
//! | `SubmitDailyReport`                    | own      | subtree | subtree | —       | —       | —          |
//! | `GetDailyReport`, `ListDailyReports`   | subtree  | subtree | subtree | subtree | subtree | —          |
//! | `GetUnit`, `ListUnits`                 | subtree  | subtree | subtree | subtree | subtree | —          |
//! | `PushBatch` (every item)               | —        | —       | —       | —       | —       | child      |
//! | `Subscribe`                            | —        | —       | —       | —       | —       | child own  |
//! | `GetDigests`, `ListHeldItems`, `ReportExchange` (reconciliation) | — | — | — | — | — | child own |
//! | `Reconcile`                            | —        | —       | —       | subtree | —       | —          |
//! | `GetNodeStatus`                        | —        | —       | —       | node-wide | node-wide | node-wide |
//! | `PostNotice`                           | —        | —       | below   | below   | —       | —          |
//! | `ListNotices`                          | —        | subtree | subtree | subtree | subtree | —          |
//! | summaries, `Completeness`, `Trend`, `ExportReports`, `WatchAlerts`, `DrillDown` | — | subtree | subtree | subtree | subtree | — |
//! | `RegisterCase`, `RecordVisit`          | —        | subtree | subtree | —       | —       | —          |
//! | `ActOnCase` progress, resolve, close, reply to supervision | — | subtree | subtree | — | — | —      |
//! | `ActOnCase` accept, decline, assign, extend, escalate, assign down, reopen, request review, decide review | — | — | subtree | — | — | — |
//! | `GetCase`, `ListCases`                 | —        | subtree | subtree | —       | subtree | —          |
//! | `GetCase` with the petitioner          | —        | subtree | subtree | —       | —       | —          |
//! | `Supervise`                            | —        | —       | below   | —       | —       | —          |
//! | `SetRoster` (every entry)              | —        | —       | subtree | subtree | —       | —          |
//! | `GetRoster`                            | —        | subtree | subtree | subtree | subtree | —          |
//! | `FileWeeklyReport`, `WithdrawWeeklyReport` | —    | —       | own     | —       | —       | —          |
//! | `ReviewWeeklyReport`, `UnapproveWeeklyReport` | — | —       | subtree | —       | —       | —          |
//! | `GetWeeklyReport`, `WeeklyStatus`, `ListAccountability`, `AnnualReport` | — | subtree | subtree | subtree | subtree | — |
//! | `RecordAccountability`                 | —        | —       | below   | —       | —       | —          |
//! | `ListDepartments`, `DepartmentFigures` | —        | subtree | subtree | subtree | subtree | —          |
//!
//! **Department persons** (a certificate scoped to a department of their
//! unit, `fengqiao://dept/{unit}/{code}/{role}/{person}`; see
//! [`department_scope`]) reach only their own unit, and within it only the
//! cases their department holds (转办) or was assigned (交办), checked on
//! the case by [`department_case`]:
//!
//! | RPC                                    | dept officer | dept leader | other dept roles |
//! |----------------------------------------|--------------|-------------|------------------|
//! | `GetCase`, `ListCases` (forced to the department) | held or assigned | held or assigned | — |
//! | `GetCase` with the petitioner          | held         | held        | —                |
//! | `ActOnCase` progress, resolve, close, reply to supervision, reply to petitioner, issue receipt | held | held | — |
//! | `ActOnCase` report back                | held or assigned | held or assigned | — |
//! | `ActOnCase` assign (leader, responsible, plan), extend | — | held     | —                |
//! | `ListDepartments`                      | own          | own         | —                |
//! | `DepartmentFigures` (their own row only) | own        | own         | —                |
//! | everything else                        | —            | —           | —                |
//!
//! A department escalates, assigns down, transfers, accepts, declines or
//! reviews nothing: the unit's own leaders decide those, and keep their full
//! rights on the cases the unit's departments hold. The officers and leaders
//! of the department holding a case see its petitioner, as the case's
//! workers; a department that was only assigned the case does not.
//! | `SetProject` (the project's unit)      | —        | —       | subtree | subtree | —       | —          |
//! | `SetContactDuty` (the node's root)     | —        | —       | own     | own     | —       | —          |
//! | `ListProjects`, `ListContactDuties`, `LeaderFigures` | — | subtree | subtree | subtree | subtree | — |
//!
//! Contact duties (包片) are set at the district: the target of
//! `SetContactDuty` is the node's root, so only its own leaders and admins
//! set them; `LeaderFigures` reads the root's duties (target: the root).
//! Two refinements are checked at the node, beside this table, because they
//! need the ledger (see `fengqiao_node::cases::access`):
//! - `Supervise`: the contact leader of the area — a leader with a duty in
//!   force today on the township the case's owner lies in, or on the case's
//!   project — may supervise the case even where "below" would not let them;
//! - `GetCase` (without the petitioner) and `ListCases`: the lead and the
//!   members of a case's working group (专门工作组) read it wherever their
//!   unit or department lies.
//!
//! The target of a case RPC is the case's current owner unit; `GetCase`
//! (without the petitioner) also accepts a case *registered* in the caller's
//! subtree and since escalated above it, as `ListCases` lists such cases (a
//! case is listed under a unit that registered it or holds it). The
//! petitioner's personal data goes only to an officer or leader whose subtree
//! holds the case now.
//!
//! Refinements of the plain role descriptions, and why:
//! - a reporter reads the reports of their subtree, not only their unit's:
//!   listing a unit's reports lists its subtree, and a reporter's unit is
//!   normally a leaf anyway;
//! - officers close the cases they resolve and reply to supervision
//!   (the work of the case); every decision about a case — acceptance,
//!   assignment, deadlines, moving it up or down, reopening, review — is a
//!   leader's;
//! - supervision (督办) and notices go from a unit to units strictly below it;
//! - admins read figures but no case and no petitioner; auditors read cases
//!   but never the petitioner;
//! - nodes call only the uplink, the downlink, reconciliation and the node
//!   status; people never push or subscribe;
//! - a child node reconciles only its own subtree (the exchange's target is
//!   its own unit); asking nodes to reconcile is an admin's operation.

use crate::why;
use std::fmt;

use crate::identity::{Identity, Role};
use crate::unit::UnitTree;

/// What `ActOnCase` asks for.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub enum CaseAction {
    Accept,
    Decline,
    Assign,
    Progress,
    Extend,
    Escalate,
    AssignDown,
    Resolve,
    Close,
    Reopen,
    RequestReview,
    DecideReview,
    ReplySupervision,
    TransferToDepartment,
    AssignToDepartment,
    ReportBack,
    SetWorkingGroup,
    ReplyToPetitioner,
    IssueReceipt,
}

impl CaseAction {
    pub const ALL: [CaseAction; 19] = [
        CaseAction::Accept,
        CaseAction::Decline,
        CaseAction::Assign,
        CaseAction::Progress,
        CaseAction::Extend,
        CaseAction::Escalate,
        CaseAction::AssignDown,
        CaseAction::Resolve,
        CaseAction::Close,
        CaseAction::Reopen,
        CaseAction::RequestReview,
        CaseAction::DecideReview,
        CaseAction::ReplySupervision,
        CaseAction::TransferToDepartment,
        CaseAction::AssignToDepartment,
        CaseAction::ReportBack,
        CaseAction::SetWorkingGroup,
        CaseAction::ReplyToPetitioner,
        CaseAction::IssueReceipt,
    ];

    pub fn as_str(self) -> &'static str {
        match self {
            CaseAction::Accept => "accept",
            CaseAction::Decline => "decline",
            CaseAction::Assign => "assign",
            CaseAction::Progress => "progress",
            CaseAction::Extend => "extend",
            CaseAction::Escalate => "escalate",
            CaseAction::AssignDown => "assign_down",
            CaseAction::Resolve => "resolve",
            CaseAction::Close => "close",
            CaseAction::Reopen => "reopen",
            CaseAction::RequestReview => "request_review",
            CaseAction::DecideReview => "decide_review",
            CaseAction::ReplySupervision => "reply_supervision",
            CaseAction::TransferToDepartment => "transfer_to_department",
            CaseAction::AssignToDepartment => "assign_to_department",
            CaseAction::ReportBack => "report_back",
            CaseAction::SetWorkingGroup => "set_working_group",
            CaseAction::ReplyToPetitioner => "reply_to_petitioner",
            CaseAction::IssueReceipt => "issue_receipt",
        }
    }

    /// Whether a department's officer may take this action on a case the
    /// department holds: the officers' actions.
    pub fn is_departments(self) -> bool {
        self.is_officers()
    }

    /// Whether an officer may take this action: the work on a case, not
    /// decisions about it.
    pub fn is_officers(self) -> bool {
        matches!(
            self,
            CaseAction::Progress
                | CaseAction::Resolve
                | CaseAction::Close
                | CaseAction::ReplySupervision
                | CaseAction::ReportBack
                | CaseAction::ReplyToPetitioner
                | CaseAction::IssueReceipt
        )
    }
}

/// Every RPC of the v1 services, as far as authorization tells them apart.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub enum Rpc {
    SubmitDailyReport,
    GetDailyReport,
    ListDailyReports,
    GetUnit,
    ListUnits,
    PushBatch,
    Subscribe,
    GetNodeStatus,
    PostNotice,
    ListNotices,
    WeeklySummary,
    PeriodSummary,
    Completeness,
    Trend,
    ExportReports,
    WatchAlerts,
    DrillDown,
    RegisterCase,
    ActOnCase(CaseAction),
    GetCase {
        with_petitioner: bool,
    },
    ListCases,
    Supervise,
    SetRoster,
    GetRoster,
    RecordVisit,
    /// A child node's side of a reconciliation exchange: `GetDigests`,
    /// `ListHeldItems`, `ReportExchange`.
    ReconcileExchange,
    /// An operator asks for exchanges (`Reconcile`).
    Reconcile,
    /// `FileWeeklyReport`.
    FileWeekly,
    /// `WithdrawWeeklyReport`.
    WithdrawWeekly,
    /// `ReviewWeeklyReport` (approve or return).
    ReviewWeekly,
    /// `UnapproveWeeklyReport`.
    UnapproveWeekly,
    /// `GetWeeklyReport`, `WeeklyStatus`, `ListAccountability`, `AnnualReport`.
    ReadWeekly,
    /// `RecordAccountability`.
    RecordAccountability,
    /// `DepartmentService.ListDepartments`.
    ListDepartments,
    /// `DepartmentService.DepartmentFigures`.
    DepartmentFigures,
    /// `ContactService.SetProject`.
    SetProject,
    /// `ContactService.SetContactDuty`.
    SetContactDuty,
    /// `ContactService.ListProjects`, `ListContactDuties`, `LeaderFigures`.
    ReadContacts,
}

impl Rpc {
    /// Every RPC, every `ActOnCase` action and both kinds of `GetCase`.
    pub const ALL: [Rpc; 57] = [
        Rpc::SubmitDailyReport,
        Rpc::GetDailyReport,
        Rpc::ListDailyReports,
        Rpc::GetUnit,
        Rpc::ListUnits,
        Rpc::PushBatch,
        Rpc::Subscribe,
        Rpc::GetNodeStatus,
        Rpc::PostNotice,
        Rpc::ListNotices,
        Rpc::WeeklySummary,
        Rpc::PeriodSummary,
        Rpc::Completeness,
        Rpc::Trend,
        Rpc::ExportReports,
        Rpc::WatchAlerts,
        Rpc::DrillDown,
        Rpc::RegisterCase,
        Rpc::ActOnCase(CaseAction::Accept),
        Rpc::ActOnCase(CaseAction::Decline),
        Rpc::ActOnCase(CaseAction::Assign),
        Rpc::ActOnCase(CaseAction::Progress),
        Rpc::ActOnCase(CaseAction::Extend),
        Rpc::ActOnCase(CaseAction::Escalate),
        Rpc::ActOnCase(CaseAction::AssignDown),
        Rpc::ActOnCase(CaseAction::Resolve),
        Rpc::ActOnCase(CaseAction::Close),
        Rpc::ActOnCase(CaseAction::Reopen),
        Rpc::ActOnCase(CaseAction::RequestReview),
        Rpc::ActOnCase(CaseAction::DecideReview),
        Rpc::ActOnCase(CaseAction::ReplySupervision),
        Rpc::ActOnCase(CaseAction::TransferToDepartment),
        Rpc::ActOnCase(CaseAction::AssignToDepartment),
        Rpc::ActOnCase(CaseAction::ReportBack),
        Rpc::ActOnCase(CaseAction::SetWorkingGroup),
        Rpc::ActOnCase(CaseAction::ReplyToPetitioner),
        Rpc::ActOnCase(CaseAction::IssueReceipt),
        Rpc::GetCase { with_petitioner: false },
        Rpc::GetCase { with_petitioner: true },
        Rpc::ListCases,
        Rpc::Supervise,
        Rpc::SetRoster,
        Rpc::GetRoster,
        Rpc::RecordVisit,
        Rpc::ReconcileExchange,
        Rpc::Reconcile,
        Rpc::FileWeekly,
        Rpc::WithdrawWeekly,
        Rpc::ReviewWeekly,
        Rpc::UnapproveWeekly,
        Rpc::ReadWeekly,
        Rpc::RecordAccountability,
        Rpc::ListDepartments,
        Rpc::DepartmentFigures,
        Rpc::SetProject,
        Rpc::SetContactDuty,
        Rpc::ReadContacts,
    ];

    /// The RPC's gRPC method name, with the action or variant.
    pub fn name(self) -> String {
        match self {
            Rpc::ActOnCase(action) => format!("ActOnCase.{}", action.as_str()),
            Rpc::GetCase { with_petitioner: true } => "GetCase+petitioner".to_owned(),
            Rpc::GetCase { with_petitioner: false } => "GetCase".to_owned(),
            other => format!("{other:?}"),
        }
    }
}

impl fmt::Display for Rpc {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.name())
    }
}

/// Where a target unit lies, seen from the caller's unit.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum Relation {
    /// The caller's own unit.
    Own,
    /// Strictly below the caller's unit.
    Descendant,
    /// Strictly above the caller's unit.
    Ancestor,
    /// In the tree, but neither above nor below (a sibling or a cousin).
    Elsewhere,
    /// Not in this node's tree (another district, or no unit at all).
    Unknown,
}

impl Relation {
    /// The relation of `target` to `caller` in `tree`.
    pub fn of(caller: &str, target: &str, tree: &UnitTree) -> Relation {
        if tree.get(target).is_none() || tree.get(caller).is_none() {
            Relation::Unknown
        } else if target == caller {
            Relation::Own
        } else if tree.is_within(target, caller) {
            Relation::Descendant
        } else if tree.is_within(caller, target) {
            Relation::Ancestor
        } else {
            Relation::Elsewhere
        }
    }

    fn in_subtree(self) -> bool {
        matches!(self, Relation::Own | Relation::Descendant)
    }
}

/// Where a caller may reach with an RPC (see the module table).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Scope {
    Never,
    Own,
    Subtree,
    Below,
    NodeWide,
    /// A child node's subtree.
    Child,
    /// A child node's own unit.
    ChildOwn,
}

/// What an RPC acts on.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Target<'a> {
    /// The node as a whole (`GetNodeStatus`).
    Node,
    /// A unit, by id as the request names it.
    Unit(&'a str),
    /// A case: the unit holding it now and the unit that registered it.
    Case { owner: &'a str, origin: &'a str },
}

impl fmt::Display for Target<'_> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Target::Node => f.write_str("the node"),
            Target::Unit(unit) => write!(f, "unit {unit:?}"),
            Target::Case { owner, origin } => write!(f, "a case owned by {owner} (registered at {origin})"),
        }
    }
}

/// What a node serves, as far as authorization needs it.
#[derive(Debug, Clone, Copy)]
pub struct Served<'a> {
    /// The node's tree, rooted at its home unit.
    pub tree: &'a UnitTree,
    /// The units below with nodes of their own.
    pub child_nodes: &'a [String],
}

/// Why a call is refused: the rule, naming roles and units only.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("{reason}")]
pub struct Denied {
    pub reason: crate::error::Why,
}

impl Denied {
    fn new(reason: crate::error::Why) -> Denied {
        Denied { reason }
    }
}

/// The scope of `rpc` for a caller of `role` (`None`: a node).
pub fn scope(role: Option<Role>, rpc: Rpc) -> Scope {
    use Scope::*;
    let Some(role) = role else {
        return match rpc {
            Rpc::PushBatch => Child,
            Rpc::Subscribe | Rpc::ReconcileExchange => ChildOwn,
            Rpc::GetNodeStatus => NodeWide,
            _ => Never,
        };
    };
    // Columns: reporter, officer, leader, admin, auditor.
    let [reporter, officer, leader, admin, auditor] = match rpc {
        Rpc::SubmitDailyReport => [Own, Subtree, Subtree, Never, Never],
        Rpc::GetDailyReport | Rpc::ListDailyReports => [Subtree; 5],
        Rpc::GetUnit | Rpc::ListUnits => [Subtree; 5],
        Rpc::PushBatch | Rpc::Subscribe | Rpc::ReconcileExchange => [Never; 5],
        Rpc::Reconcile => [Never, Never, Never, Subtree, Never],
        Rpc::GetNodeStatus => [Never, Never, Never, NodeWide, NodeWide],
        Rpc::PostNotice => [Never, Never, Below, Below, Never],
        Rpc::ListNotices => [Never, Subtree, Subtree, Subtree, Subtree],
        Rpc::WeeklySummary
        | Rpc::PeriodSummary
        | Rpc::Completeness
        | Rpc::Trend
        | Rpc::ExportReports
        | Rpc::WatchAlerts
        | Rpc::DrillDown => [Never, Subtree, Subtree, Subtree, Subtree],
        Rpc::RegisterCase | Rpc::RecordVisit => [Never, Subtree, Subtree, Never, Never],
        Rpc::ActOnCase(action) if action.is_officers() => [Never, Subtree, Subtree, Never, Never],
        Rpc::ActOnCase(_) => [Never, Never, Subtree, Never, Never],
        Rpc::GetCase { with_petitioner: false } | Rpc::ListCases => [Never, Subtree, Subtree, Never, Subtree],
        Rpc::GetCase { with_petitioner: true } => [Never, Subtree, Subtree, Never, Never],
        Rpc::Supervise => [Never, Never, Below, Never, Never],
        Rpc::SetRoster => [Never, Never, Subtree, Subtree, Never],
        Rpc::GetRoster => [Never, Subtree, Subtree, Subtree, Subtree],
        Rpc::FileWeekly | Rpc::WithdrawWeekly => [Never, Never, Own, Never, Never],
        Rpc::ReviewWeekly | Rpc::UnapproveWeekly => [Never, Never, Subtree, Never, Never],
        Rpc::ReadWeekly => [Never, Subtree, Subtree, Subtree, Subtree],
        Rpc::RecordAccountability => [Never, Never, Below, Never, Never],
        Rpc::ListDepartments | Rpc::DepartmentFigures => [Never, Subtree, Subtree, Subtree, Subtree],
        Rpc::SetProject => [Never, Never, Subtree, Subtree, Never],
        Rpc::SetContactDuty => [Never, Never, Own, Own, Never],
        Rpc::ReadContacts => [Never, Subtree, Subtree, Subtree, Subtree],
    };
    match role {
        Role::Reporter => reporter,
        Role::Officer => officer,
        Role::Leader => leader,
        Role::Admin => admin,
        Role::Auditor => auditor,
    }
}

/// The scope of `rpc` for a department's person of `role` (see the second
/// module table): their own unit at most; which of its cases is checked by
/// [`department_case`].
pub fn department_scope(role: Role, rpc: Rpc) -> Scope {
    use Scope::*;
    if !matches!(role, Role::Officer | Role::Leader) {
        return Never;
    }
    match rpc {
        Rpc::GetCase { .. } | Rpc::ListCases | Rpc::ListDepartments | Rpc::DepartmentFigures => Own,
        Rpc::ActOnCase(action) if action.is_departments() => Own,
        Rpc::ActOnCase(CaseAction::Assign | CaseAction::Extend) if role == Role::Leader => Own,
        _ => Never,
    }
}

/// Whether a department's person may call `rpc` on `case` (owned by their
/// unit, which [`authorize`] checked): the case must be one their department
/// holds, or for reading and reporting back, one it was assigned. Anyone
/// else: always.
pub fn department_case(identity: &Identity, rpc: Rpc, case: &crate::case::Case) -> Result<(), Denied> {
    let Some(department) = identity.department() else { return Ok(()) };
    let held = case.department.as_ref() == Some(&department);
    let allowed = match rpc {
        Rpc::GetCase { with_petitioner: false } | Rpc::ActOnCase(CaseAction::ReportBack) => {
            case.involves_department(&department)
        }
        _ => held,
    };
    if allowed {
        return Ok(());
    }
    let mut why = why!(
        DEPARTMENT_CASE_ONLY,
        "{who} of department {department} may call {rpc} only on the cases it {cases}; case {case} is not one",
        who = kind(identity),
        department = department,
        rpc = rpc,
        cases = if matches!(
            rpc,
            Rpc::GetCase { with_petitioner: false } | Rpc::ActOnCase(CaseAction::ReportBack)
        ) {
            "holds or was assigned"
        } else {
            "holds"
        },
        case = case.id
    );
    why.args.push(("role", role_name(identity).to_owned()));
    Err(Denied::new(why))
}

/// Who the identity is, for messages: "a leader", "an officer", "a node".
/// The caller's role as an identifier (`officer`; `node` for a node).
fn role_name(identity: &Identity) -> &'static str {
    identity.role().map_or("node", Role::as_str)
}

fn kind(identity: &Identity) -> &'static str {
    match identity.role() {
        None => "a node",
        Some(Role::Reporter) => "a reporter",
        Some(Role::Officer) => "an officer",
        Some(Role::Leader) => "a leader",
        Some(Role::Admin) => "an admin",
        Some(Role::Auditor) => "an auditor",
    }
}

/// Whether `identity` may call `rpc` at all on this node, whatever the
/// target: its unit is in the node's tree and its role (or a node) has the
/// RPC. Checked before a case is loaded, so a caller who may never read
/// cases learns nothing of which exist.
pub fn may_call(identity: &Identity, rpc: Rpc, served: &Served<'_>) -> Result<Scope, Denied> {
    let unit = identity.unit().as_str();
    if served.tree.get(unit).is_none() {
        return Err(Denied::new(why!(
            CALLER_S_UNIT_NOT_IN_TREE,
            "the caller's unit {unit} is not in the tree of this node (home {home}): call the node of your own tier",
            unit = unit,
            home = served.tree.root_id()
        )));
    }
    let scope = match (identity.department(), identity.role()) {
        (Some(_), Some(role)) => department_scope(role, rpc),
        _ => scope(identity.role(), rpc),
    };
    if scope == Scope::Never {
        let mut why = why!(MAY_NOT_CALL, "{who} may not call {rpc}", who = kind(identity), rpc = rpc);
        why.args.push(("role", role_name(identity).to_owned()));
        return Err(Denied::new(why));
    }
    if matches!(scope, Scope::Child | Scope::ChildOwn) && !served.child_nodes.iter().any(|c| c == unit) {
        return Err(Denied::new(why!(
            FOR_CHILD_NODES_NOT_ONE,
            "{rpc} is for child nodes of {home}, and {unit} is not one",
            rpc = rpc,
            home = served.tree.root_id(),
            unit = unit
        )));
    }
    Ok(scope)
}

/// Whether `identity` may call `rpc` on `target` (see the module table).
pub fn authorize(
    identity: &Identity,
    rpc: Rpc,
    target: Target<'_>,
    served: &Served<'_>,
) -> Result<(), Denied> {
    let scope = may_call(identity, rpc, served)?;
    let unit = identity.unit().as_str();
    let tree = served.tree;
    let who = kind(identity);
    let (relation, target_unit) = match target {
        Target::Node => {
            return if scope == Scope::NodeWide {
                Ok(())
            } else {
                Err(Denied::new(why!(NEEDS_TARGET_UNIT, "{rpc} needs a target unit", rpc = rpc)))
            };
        }
        Target::Unit(target) => (Relation::of(unit, target, tree), target),
        Target::Case { owner, origin } => {
            let held = Relation::of(unit, owner, tree);
            // A case registered in the caller's subtree and escalated above
            // it stays readable there (it is listed there too); only its
            // current holders act on it or see the petitioner.
            // (Not for a department's person: they read only their
            // department's cases, which their unit holds.)
            let readable_by_origin = rpc == Rpc::GetCase { with_petitioner: false }
                && identity.department().is_none()
                && Relation::of(unit, origin, tree).in_subtree();
            if readable_by_origin && !held.in_subtree() {
                return Ok(());
            }
            (held, owner)
        }
    };
    if relation == Relation::Unknown {
        return Err(Denied::new(why!(
            UNIT_NOT_IN_TREE_THIS_NODE,
            "{rpc}: unit \"{target_unit}\" is not in the tree of this node (home {home})",
            rpc = rpc,
            target_unit = target_unit,
            home = tree.root_id()
        )));
    }
    let allowed = match scope {
        Scope::Never => false,
        Scope::Own | Scope::ChildOwn => relation == Relation::Own,
        Scope::Subtree | Scope::Child => relation.in_subtree(),
        Scope::Below => relation == Relation::Descendant,
        Scope::NodeWide => true,
    };
    if allowed {
        return Ok(());
    }
    let (reach, scope) = match scope {
        Scope::Own | Scope::ChildOwn => ("their own unit", "own"),
        Scope::Below => ("units below their own", "below"),
        _ => ("their own unit's subtree", "subtree"),
    };
    let (it, relation) = match relation {
        Relation::Own => ("their own unit", "own"),
        Relation::Descendant => ("below it", "below"),
        Relation::Ancestor => ("above it", "above"),
        Relation::Elsewhere | Relation::Unknown => ("outside it", "outside"),
    };
    // `who`, `reach` and `it` are English; `role`, `scope` and `relation`
    // name the same for a client's own sentence.
    let mut why = why!(
        OUTSIDE_SCOPE,
        "{who} at {unit} may call {rpc} only on {reach}; {target_unit} is {it}",
        who = who,
        unit = unit,
        rpc = rpc,
        reach = reach,
        target_unit = target_unit,
        it = it
    );
    why.args.extend([
        ("role", role_name(identity).to_owned()),
        ("scope", scope.to_owned()),
        ("relation", relation.to_owned()),
    ]);
    Err(Denied::new(why))
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::unit::UnitId;

    /// D (home) → T1 → C11; D → T2 → C21 (a child node).
    fn tree() -> UnitTree {
        UnitTree::from_csv(
            "code,parent_code,tier,name\nD,,district,D\nT1,D,township,T1\nT2,D,township,T2\n\
             C11,T1,community,C11\nC21,T2,community,C21\n",
        )
        .unwrap()
    }

    fn person(unit: &str, role: Role) -> Identity {
        Identity::person("p1", UnitId::parse(unit).unwrap(), role).unwrap()
    }

    fn node(unit: &str) -> Identity {
        Identity::Node { unit: UnitId::parse(unit).unwrap() }
    }

    fn check(identity: &Identity, rpc: Rpc, target: Target<'_>) -> Result<(), Denied> {
        let tree = tree();
        let children = ["T2".to_owned()];
        authorize(identity, rpc, target, &Served { tree: &tree, child_nodes: &children })
    }

    #[test]
    fn relations() {
        let tree = tree();
        assert_eq!(Relation::of("T1", "T1", &tree), Relation::Own);
        assert_eq!(Relation::of("T1", "C11", &tree), Relation::Descendant);
        assert_eq!(Relation::of("T1", "D", &tree), Relation::Ancestor);
        assert_eq!(Relation::of("T1", "T2", &tree), Relation::Elsewhere);
        assert_eq!(Relation::of("T1", "C21", &tree), Relation::Elsewhere);
        assert_eq!(Relation::of("T1", "X", &tree), Relation::Unknown);
        assert_eq!(Relation::of("X", "T1", &tree), Relation::Unknown);
    }

    #[test]
    fn every_rpc_is_listed_once() {
        let mut seen = std::collections::HashSet::new();
        for rpc in Rpc::ALL {
            assert!(seen.insert(rpc.name()), "{rpc} twice");
        }
        for action in CaseAction::ALL {
            assert!(seen.contains(&Rpc::ActOnCase(action).name()));
        }
    }

    #[test]
    fn callers_outside_the_tree_are_refused_everything() {
        for identity in
            [person("X", Role::Leader), person("CITY", Role::Admin), person("CITY", Role::Auditor), node("X")]
        {
            for rpc in Rpc::ALL {
                for target in [Target::Node, Target::Unit("T1"), Target::Case { owner: "T1", origin: "T1" }] {
                    let denied = check(&identity, rpc, target).unwrap_err();
                    assert!(denied.reason.text.contains("not in the tree"), "{identity} {rpc}: {denied}");
                }
            }
        }
    }

    #[test]
    fn reporters_submit_for_their_own_unit_only() {
        let reporter = person("T1", Role::Reporter);
        check(&reporter, Rpc::SubmitDailyReport, Target::Unit("T1")).unwrap();
        for other in ["C11", "D", "T2", "X", ""] {
            check(&reporter, Rpc::SubmitDailyReport, Target::Unit(other)).unwrap_err();
        }
        check(&reporter, Rpc::GetDailyReport, Target::Unit("C11")).unwrap();
        check(&reporter, Rpc::ListCases, Target::Unit("T1")).unwrap_err();
    }

    #[test]
    fn officers_work_cases_and_leaders_decide_them() {
        let officer = person("T1", Role::Officer);
        let leader = person("T1", Role::Leader);
        let below = Target::Case { owner: "C11", origin: "C11" };
        for action in CaseAction::ALL {
            let rpc = Rpc::ActOnCase(action);
            assert_eq!(check(&officer, rpc, below).is_ok(), action.is_officers(), "{rpc}");
            check(&leader, rpc, below).unwrap();
            check(&leader, rpc, Target::Case { owner: "D", origin: "T1" }).unwrap_err();
        }
        check(&leader, Rpc::Supervise, below).unwrap();
        check(&leader, Rpc::Supervise, Target::Case { owner: "T1", origin: "T1" }).unwrap_err();
    }

    #[test]
    fn an_escalated_case_stays_readable_where_it_was_registered_but_not_its_petitioner() {
        let escalated = Target::Case { owner: "D", origin: "C11" };
        for role in [Role::Officer, Role::Leader, Role::Auditor] {
            check(&person("T1", role), Rpc::GetCase { with_petitioner: false }, escalated).unwrap();
        }
        check(&person("T1", Role::Leader), Rpc::GetCase { with_petitioner: true }, escalated).unwrap_err();
        check(&person("T1", Role::Leader), Rpc::ActOnCase(CaseAction::Progress), escalated).unwrap_err();
        check(&person("T1", Role::Auditor), Rpc::GetCase { with_petitioner: true }, escalated).unwrap_err();
        check(&person("D", Role::Leader), Rpc::GetCase { with_petitioner: true }, escalated).unwrap();
        check(&person("T2", Role::Leader), Rpc::GetCase { with_petitioner: false }, escalated).unwrap_err();
    }

    #[test]
    fn only_child_nodes_push_and_subscribe_and_only_for_their_subtree() {
        check(&node("T2"), Rpc::PushBatch, Target::Unit("C21")).unwrap();
        check(&node("T2"), Rpc::PushBatch, Target::Unit("T1")).unwrap_err();
        check(&node("T2"), Rpc::Subscribe, Target::Unit("T2")).unwrap();
        check(&node("T2"), Rpc::Subscribe, Target::Unit("C21")).unwrap_err();
        check(&node("T1"), Rpc::PushBatch, Target::Unit("T1")).unwrap_err();
        check(&node("C21"), Rpc::PushBatch, Target::Unit("C21")).unwrap_err();
        check(&node("T1"), Rpc::GetNodeStatus, Target::Node).unwrap();
        check(&node("T2"), Rpc::ReconcileExchange, Target::Unit("T2")).unwrap();
        check(&node("T2"), Rpc::ReconcileExchange, Target::Unit("C21")).unwrap_err();
        check(&node("T1"), Rpc::ReconcileExchange, Target::Unit("T1")).unwrap_err();
        check(&node("T2"), Rpc::Reconcile, Target::Unit("T2")).unwrap_err();
        check(&person("D", Role::Admin), Rpc::Reconcile, Target::Unit("T2")).unwrap();
        check(&person("T1", Role::Admin), Rpc::Reconcile, Target::Unit("T2")).unwrap_err();
        check(&person("D", Role::Leader), Rpc::Reconcile, Target::Unit("T2")).unwrap_err();
        check(&node("T2"), Rpc::SubmitDailyReport, Target::Unit("T2")).unwrap_err();
        for role in Role::ALL {
            check(&person("D", role), Rpc::PushBatch, Target::Unit("T2")).unwrap_err();
            check(&person("T2", role), Rpc::Subscribe, Target::Unit("T2")).unwrap_err();
        }
    }

    #[test]
    fn auditors_change_nothing_and_admins_see_no_case() {
        let mutations = [
            Rpc::SubmitDailyReport,
            Rpc::PostNotice,
            Rpc::RegisterCase,
            Rpc::RecordVisit,
            Rpc::Supervise,
            Rpc::SetRoster,
            Rpc::PushBatch,
        ];
        let auditor = person("D", Role::Auditor);
        for rpc in mutations.into_iter().chain(CaseAction::ALL.map(Rpc::ActOnCase)) {
            check(&auditor, rpc, Target::Unit("T1")).unwrap_err();
            check(&auditor, rpc, Target::Case { owner: "T1", origin: "T1" }).unwrap_err();
        }
        let admin = person("D", Role::Admin);
        check(&admin, Rpc::PostNotice, Target::Unit("T1")).unwrap();
        check(&admin, Rpc::PostNotice, Target::Unit("D")).unwrap_err();
        check(&admin, Rpc::GetCase { with_petitioner: false }, Target::Case { owner: "T1", origin: "T1" })
            .unwrap_err();
        check(&admin, Rpc::ListCases, Target::Unit("T1")).unwrap_err();
    }

    fn dept_person(unit: &str, code: &str, role: Role) -> Identity {
        let id = crate::department::DepartmentId::parse(&format!("{unit}:{code}")).unwrap();
        Identity::department_person("d1", id, role).unwrap()
    }

    #[test]
    fn department_persons_reach_only_their_unit_and_their_cases_work() {
        let officer = dept_person("D", "hrss", Role::Officer);
        let leader = dept_person("D", "hrss", Role::Leader);
        let own = Target::Case { owner: "D", origin: "T1" };
        for action in CaseAction::ALL {
            let rpc = Rpc::ActOnCase(action);
            assert_eq!(check(&officer, rpc, own).is_ok(), action.is_officers(), "{rpc}");
            let leaders = action.is_officers() || matches!(action, CaseAction::Assign | CaseAction::Extend);
            assert_eq!(check(&leader, rpc, own).is_ok(), leaders, "{rpc}");
        }
        for escalation in [CaseAction::Escalate, CaseAction::AssignDown, CaseAction::TransferToDepartment] {
            check(&leader, Rpc::ActOnCase(escalation), own).unwrap_err();
        }
        // Only their own unit: not the cases below it, nor one registered in
        // their unit and escalated above it.
        check(&officer, Rpc::GetCase { with_petitioner: false }, Target::Case { owner: "T1", origin: "T1" })
            .unwrap_err();
        check(
            &dept_person("T1", "x", Role::Officer),
            Rpc::GetCase { with_petitioner: false },
            Target::Case { owner: "D", origin: "T1" },
        )
        .unwrap_err();
        check(&officer, Rpc::ListCases, Target::Unit("D")).unwrap();
        check(&officer, Rpc::ListCases, Target::Unit("T1")).unwrap_err();
        check(&officer, Rpc::DepartmentFigures, Target::Unit("D")).unwrap();
        for rpc in [
            Rpc::WeeklySummary,
            Rpc::SubmitDailyReport,
            Rpc::RegisterCase,
            Rpc::ListDailyReports,
            Rpc::GetRoster,
        ] {
            check(&leader, rpc, Target::Unit("D")).unwrap_err();
        }
        for role in [Role::Reporter, Role::Admin, Role::Auditor] {
            check(&dept_person("D", "hrss", role), Rpc::ListCases, Target::Unit("D")).unwrap_err();
        }
    }

    #[test]
    fn a_department_works_the_cases_it_holds_and_reads_and_reports_on_those_assigned() {
        use crate::case::{Case, CaseId, Context, DeadlinePolicy, Intake};
        let unit = UnitId::parse("D").unwrap();
        let hrss = crate::department::DepartmentId::parse("D:hrss").unwrap();
        let housing = crate::department::DepartmentId::parse("D:housing").unwrap();
        let on = chrono::NaiveDate::from_ymd_opt(2026, 3, 2).unwrap();
        let context = Context {
            at: chrono::Utc::now(),
            on,
            actor: crate::actor::Actor::Unverified { text: Some("x".into()), on_behalf_of: None },
            note: "n".into(),
            owner_parent: None,
            is_below_owner: &|_| false,
            policy: DeadlinePolicy::default(),
        };
        let intake = Intake {
            origin_unit: unit.clone(),
            category: crate::DisputeCategory::WageArrears,
            channel: crate::case::Channel::Letter,
            summary: "wages".into(),
            petitioner_ref: None,
            source: None,
            workers: 0,
            amount_claimed_cents: 0,
            project: None,
        };
        let first = Case::register(CaseId::parse("C1").unwrap(), intake, None, &context).unwrap();
        let mut case = Case::start(&first).unwrap();
        for action in [
            crate::case::Action::Accept,
            crate::case::Action::TransferToDepartment {
                department: hrss.clone(),
                reason: "r".into(),
                deadline: None,
            },
            crate::case::Action::AssignToDepartment { department: housing, report_by: on },
        ] {
            let event = case.decide(action, &context).unwrap();
            case.apply(&event).unwrap();
        }
        let hrss_officer = dept_person("D", "hrss", Role::Officer);
        let housing_officer = dept_person("D", "housing", Role::Officer);
        let market_leader = dept_person("D", "market", Role::Leader);
        let read = Rpc::GetCase { with_petitioner: false };
        let petitioner = Rpc::GetCase { with_petitioner: true };
        let resolve = Rpc::ActOnCase(CaseAction::Resolve);
        let report = Rpc::ActOnCase(CaseAction::ReportBack);
        for rpc in [read, petitioner, resolve, report] {
            department_case(&hrss_officer, rpc, &case).unwrap();
            department_case(&market_leader, rpc, &case).unwrap_err();
            department_case(&person("D", Role::Leader), rpc, &case).unwrap();
        }
        department_case(&housing_officer, read, &case).unwrap();
        department_case(&housing_officer, report, &case).unwrap();
        let denied = department_case(&housing_officer, petitioner, &case).unwrap_err();
        assert_eq!(denied.reason.code, "DEPARTMENT_CASE_ONLY");
        assert_eq!(denied.reason.arg("cases"), Some("holds"));
        department_case(&housing_officer, resolve, &case).unwrap_err();
    }

    #[test]
    fn denials_name_the_rule() {
        let denied = check(&person("T1", Role::Officer), Rpc::WeeklySummary, Target::Unit("D")).unwrap_err();
        assert_eq!(
            denied.reason.text,
            "an officer at T1 may call WeeklySummary only on their own unit's subtree; D is above it"
        );
        assert_eq!(denied.reason.code, "OUTSIDE_SCOPE");
        assert_eq!(denied.reason.arg("relation"), Some("above"));
    }
}
