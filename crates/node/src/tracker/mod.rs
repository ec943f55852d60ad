//! The public tracker (阳光信访): `fengqiao.v1.PublicTrackerService` and
//! the `/track` page, served on the node's public listener
//! (`public.listen`, [`serve_public`]) and nowhere else.
//!
//! A petitioner holds a receipt: the case number and a random query code
//! drawn by the registering node ([`draw_code`]) and stored only as its
//! salted hash (`fengqiao_core::receipt`). The node answers from its own
//! ledger (every ancestor holds the cases of its subtree), for a correct
//! pair only, with what the petitioner may see ([`public_view`]): status,
//! dates, the office holding the case, the public replies, the category,
//! and the rating. Never the petitioner's data, notes, actors or names.
//!
//! **Refusals are alike.** An unknown case, a wrong code and a locked case
//! number get the same NOT_FOUND text; an unknown case is checked against a
//! dummy hash so the work is the same; and every answer, refusal or not,
//! waits until [`PublicConfig::floor`] after the request began. Only a
//! malformed case number or code (whose shape is public) is
//! INVALID_ARGUMENT.
//!
//! **Limits** ([`Guard`]): a token bucket per source address and one per
//! case number (RESOURCE_EXHAUSTED saying when to retry), and a lock of a
//! case number after [`PublicConfig::lock_after`] failures in a row, for
//! [`PublicConfig::lock_for`], during which even the right code is refused
//! as wrong. This state is in memory: a restart clears it (and the per-case
//! buckets bound how fast one can guess meanwhile).
//!
//! **Ratings.** Once the case is resolved or closed the petitioner may
//! rate it once (SATISFIED or DISSATISFIED). The node holding the case
//! records `petitioner_rated` with itself as the actor doing
//! [`NodeTask::PublicTracker`](fengqiao_core::actor::NodeTask) (the
//! petitioner rated, not staff); a node above sends it down the downlink
//! and remembers it as pending (in memory) until the event comes back up.

mod guard;
mod page;
mod serve;
mod service;

use std::time::Duration;

use fengqiao_core::case::CaseId;
use fengqiao_proto::pb;

use fengqiao_core::department::DepartmentId;
pub use guard::Guard;
pub use serve::{public_router, serve_public};
pub use service::PublicTracker;

/// The public listener's settings (`public.*`).
#[derive(Debug, Clone)]
pub struct PublicConfig {
    /// The tracker page's public address (`public.url`, e.g.
    /// `https://xf.example.gov.cn/track`), printed on receipts.
    pub url: Option<String>,
    /// Every answer takes at least this long from the request's start
    /// (`public.floor_ms`, default 300 ms).
    pub floor: Duration,
    /// Lookups a source address may make per minute, and its burst
    /// (`public.per_source_per_minute`, default 30).
    pub per_source_per_minute: u32,
    /// Lookups of one case number per minute (`public.per_case_per_minute`,
    /// default 10).
    pub per_case_per_minute: u32,
    /// Failures in a row that lock a case number (`public.lock_after`,
    /// default 5).
    pub lock_after: u32,
    /// How long a lock lasts (`public.lock_minutes`, default 30).
    pub lock_for: Duration,
}

impl Default for PublicConfig {
    fn default() -> Self {
        PublicConfig {
            url: None,
            floor: Duration::from_millis(300),
            per_source_per_minute: 30,
            per_case_per_minute: 10,
            lock_after: 5,
            lock_for: Duration::from_secs(30 * 60),
        }
    }
}

/// A new query code from the operating system's CSPRNG.
pub fn draw_code() -> String {
    loop {
        // 32 bytes hold the 12 letters but for a one-in-10^12 chance.
        if let Some(code) = fengqiao_core::receipt::code_from(&rand::random::<[u8; 32]>()) {
            return code;
        }
    }
}

/// The receipt handed to the petitioner: the case number, the code (shown
/// this once) and where to follow the case.
pub fn receipt(node: &crate::Node, case: &CaseId, code: String) -> pb::Receipt {
    let tracker_url = node
        .config()
        .public
        .url
        .as_deref()
        .map(|url| {
            let separator = if url.contains('?') { '&' } else { '?' };
            format!("{url}{separator}case={case}")
        })
        .unwrap_or_default();
    pb::Receipt { case_id: case.to_string(), query_code: code, tracker_url }
}

/// What the petitioner sees of `case`: no party, no note, no actor, no name.
pub fn public_view(node: &crate::Node, case: &fengqiao_core::case::Case) -> pb::TrackCaseResponse {
    use fengqiao_core::case::CaseStatus;
    let date = |d: Option<chrono::NaiveDate>| d.map(|d| d.to_string()).unwrap_or_default();
    let tree = node.tree();
    let departments = node.departments();
    let office_of = |unit: &fengqiao_core::UnitId| {
        tree.get(unit.as_str()).map_or_else(|| unit.to_string(), |u| u.name.clone())
    };
    let tier = tree.get(case.owner_unit.as_str()).map_or(pb::Tier::Unspecified, |u| pb::Tier::from(u.tier));
    let resolved = matches!(case.status, CaseStatus::Resolved | CaseStatus::Closed);
    pb::TrackCaseResponse {
        case_id: case.id.to_string(),
        status: pb::CaseStatus::from(case.status).into(),
        registered_on: case.registered_on.to_string(),
        accept_by: case.accept_by.to_string(),
        accepted_on: date(case.accepted_on),
        deadline: date(case.deadline),
        resolved_on: date(case.resolved_on),
        closed_on: date(case.closed_on),
        office: office_of(&case.owner_unit),
        tier: tier.into(),
        department: case.department.as_ref().map(|d| department_name(&departments, d)).unwrap_or_default(),
        replies: case
            .public_replies
            .iter()
            .map(|reply| pb::PublicReply {
                on: reply.on.to_string(),
                text: reply.text.clone(),
                office: reply
                    .department
                    .as_ref()
                    .map_or_else(|| office_of(&reply.unit), |d| department_name(&departments, d)),
            })
            .collect(),
        can_rate: resolved && case.petitioner_rating.is_none(),
        rating: case
            .petitioner_rating
            .as_ref()
            .map_or(pb::Satisfaction::Unspecified, |r| pb::Satisfaction::from(r.satisfaction))
            .into(),
        category: pb::DisputeCategory::from(case.intake.category).into(),
    }
}

/// A department's name: the standard name of its code (the departments
/// file's names are another part's; until the node holds them, the
/// standard list names the usual ones and others show their code).
/// A department's name as the node's departments give it (its latest
/// entry), else the standard name of its code, else the code.
fn department_name(departments: &fengqiao_core::department::Departments, id: &DepartmentId) -> String {
    if let Some(department) = departments.latest(id) {
        return department.name.clone();
    }
    fengqiao_core::department::STANDARD
        .iter()
        .find(|(code, _, _)| *code == id.code.as_str())
        .map_or_else(|| id.code.as_str().to_owned(), |(_, name, _)| (*name).to_owned())
}
