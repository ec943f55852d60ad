//! The case ledger of a unit's subtree (`/unit/<id>/cases?status=…&
//! overdue=1&repeat=1&category=…&channel=…`, `ListCases` in-process; the
//! category and channel filters are the page's, as `ListCases` has none)
//! and one case (`/case/<case_id>`, `GetCase` for the whole log, read into
//! [`CaseFile`]) with the forms a leader acts from: each posts to
//! `/case/<case_id>/act` with the CSRF token and the sequence shown, so a
//! page older than the case is refused (ABORTED, 409) instead of acted on.
//! A viewer whose role may not take an action sees no form for it, and a
//! forged post is refused by `ActOnCase`'s own authorization.

use askama::Template;
use axum::body::Bytes;
use axum::extract::{Path, Query, State};
use axum::http::{HeaderMap, Uri};
use axum::response::{IntoResponse, Redirect, Response};
use fengqiao_core::DisputeCategory;
use fengqiao_core::authz::{CaseAction, Rpc, Target};
use fengqiao_core::case::{CaseStatus, Channel};
use fengqiao_core::read::{CaseFile, CaseRecord};
use fengqiao_i18n::{Messages, tr_in};
use fengqiao_proto::pb;
use fengqiao_proto::pb::case_service_server::CaseService;

use super::{Field, allowed, answer, unreadable, yuan};
use crate::cases::Cases;
use crate::web::auth::Viewer;
use crate::web::words::{actor_text, change_details, dispute_ref_text};
use crate::web::{Chrome, PageError, WebState, check_csrf, csrf_field, lang_of};

/// At most this many cases on one ledger page (newest registration first).
pub const LEDGER_LIMIT: u32 = 500;

/// A choice of a filter's `<select>`.
#[derive(Debug, Clone)]
pub struct Choice {
    pub value: String,
    pub label: String,
    pub selected: bool,
}

/// One row of the ledger.
#[derive(Debug, Clone)]
pub struct LedgerRow {
    pub case_id: String,
    pub status: String,
    pub owner: String,
    pub category: String,
    pub channel: String,
    pub registered_on: String,
    pub due: String,
    pub days_overdue: u32,
    pub leader: String,
    pub responsible: String,
    pub repeat: bool,
}

#[derive(Debug, Template)]
#[template(path = "cases.html")]
pub struct LedgerPage {
    pub chrome: Chrome,
    pub unit_id: String,
    pub unit_name: String,
    pub statuses: Vec<Choice>,
    pub categories: Vec<Choice>,
    pub channels: Vec<Choice>,
    pub overdue: bool,
    pub repeat: bool,
    /// The day overdue is judged at (empty: today).
    pub as_of: String,
    /// The department filtered by (`{unit}:{code}`, empty: none), and its name.
    pub department: String,
    pub department_name: String,
    pub rows: Vec<LedgerRow>,
    pub more: bool,
}

#[derive(Debug, Default, serde::Deserialize)]
pub struct LedgerQuery {
    #[serde(default)]
    status: String,
    #[serde(default)]
    overdue: String,
    #[serde(default)]
    repeat: String,
    #[serde(default)]
    category: String,
    #[serde(default)]
    channel: String,
    /// `YYYY-MM-DD`: overdue judged at the end of that day, each case as it
    /// stood then (the overview's link for a past week); today when empty.
    #[serde(default)]
    as_of: String,
    /// `{unit}:{code}`: the cases that department holds or was assigned.
    #[serde(default)]
    department: String,
    lang: Option<String>,
}

/// `GET /unit/{unit_id}/cases`: the ledger.
pub async fn ledger(
    State(state): State<WebState>,
    viewer: Viewer,
    Path(unit_id): Path<String>,
    Query(query): Query<LedgerQuery>,
    headers: HeaderMap,
    uri: Uri,
) -> Response {
    answer(&state, &viewer, query.lang.as_deref(), (&headers, &uri), Some(&unit_id), |chrome| {
        ledger_page(&state, &viewer, &unit_id, &query, chrome)
    })
    .await
}

async fn ledger_page(
    state: &WebState,
    viewer: &Viewer,
    unit_id: &str,
    query: &LedgerQuery,
    chrome: Chrome,
) -> Result<LedgerPage, tonic::Status> {
    super::detail_held_here(state, unit_id, "cases")?;
    let node = state.node();
    let zone = node.config().time.zone;
    let status = (!query.status.is_empty())
        .then(|| {
            pb::CaseStatus::from_str_name(&format!("CASE_STATUS_{}", query.status.to_ascii_uppercase()))
                .filter(|s| *s != pb::CaseStatus::Unspecified)
                .ok_or_else(|| invalid("status", &query.status))
        })
        .transpose()?;
    let on = |flag: &str| matches!(flag, "1" | "on" | "true");
    let (overdue, repeat) = (on(&query.overdue), on(&query.repeat));
    let cases = Cases::new(node.clone());
    let mut rows = Vec::new();
    let mut page_token = String::new();
    let tree = node.tree();
    let m = chrome.messages;
    let more = loop {
        let page = cases
            .list_cases(viewer.request(pb::ListCasesRequest {
                unit_id: unit_id.to_owned(),
                statuses: status.iter().map(|s| i32::from(*s)).collect(),
                overdue,
                repeat,
                as_of: query.as_of.clone(),
                department_id: query.department.clone(),
                page_size: 500,
                page_token: page_token.clone(),
                ..Default::default()
            }))
            .await?
            .into_inner();
        for case in page.cases {
            let case = CaseRecord::try_from(case).map_err(unreadable)?.in_zone(zone);
            if (!query.category.is_empty() && case.intake.category.as_str() != query.category)
                || (!query.channel.is_empty() && case.intake.channel.as_str() != query.channel)
            {
                continue;
            }
            let owner = case.owner_unit_id.to_string();
            rows.push(LedgerRow {
                case_id: case.case_id.to_string(),
                status: m.name("status", case.status.as_str()),
                owner: match tree.get(&owner) {
                    Some(unit) => format!("{} {owner}", unit.name),
                    None => owner,
                },
                category: m.name("category", case.intake.category.as_str()),
                channel: m.name("channel", case.intake.channel.as_str()),
                registered_on: case.registered_on.to_string(),
                due: case.due.map(|d| d.to_string()).unwrap_or_default(),
                days_overdue: case.days_overdue,
                leader: case.leader.clone().unwrap_or_default(),
                responsible: case.responsible.clone().unwrap_or_default(),
                repeat: case.repeat.as_ref().is_some_and(|r| !r.of_case_ids.is_empty()),
            });
        }
        if page.next_page_token.is_empty() {
            break false;
        }
        if rows.len() >= LEDGER_LIMIT as usize {
            break true;
        }
        page_token = page.next_page_token;
    };
    rows.truncate(LEDGER_LIMIT as usize);
    let choices = |kind: &str, names: Vec<&str>, chosen: &str| -> Vec<Choice> {
        names
            .into_iter()
            .map(|name| Choice {
                value: name.to_owned(),
                label: m.name(kind, name),
                selected: name == chosen,
            })
            .collect()
    };
    Ok(LedgerPage {
        unit_name: tree.get(unit_id).map(|u| u.name.clone()).unwrap_or_default(),
        unit_id: unit_id.to_owned(),
        statuses: choices("status", CaseStatus::ALL.iter().map(|s| s.as_str()).collect(), &query.status),
        categories: choices(
            "category",
            DisputeCategory::ALL.iter().map(|c| c.as_str()).collect(),
            &query.category,
        ),
        channels: choices("channel", Channel::ALL.iter().map(|c| c.as_str()).collect(), &query.channel),
        overdue,
        repeat,
        as_of: query.as_of.clone(),
        department: query.department.clone(),
        department_name: fengqiao_core::department::DepartmentId::parse(&query.department)
            .ok()
            .and_then(|id| node.departments().latest(&id).map(|d| d.name.clone()))
            .unwrap_or_else(|| query.department.clone()),
        rows,
        more,
        chrome,
    })
}

fn invalid(field: &str, value: &str) -> tonic::Status {
    tonic::Status::invalid_argument(format!("{field}: unknown value {value:?}"))
}

/// A form a leader acts from: the action and which fields it asks for.
#[derive(Debug, Clone)]
pub struct ActionForm {
    pub action: &'static str,
    pub label: String,
}

/// One event of the timeline.
#[derive(Debug, Clone)]
pub struct TimelineEvent {
    pub sequence: u32,
    pub at: String,
    pub unit: String,
    pub actor: String,
    pub kind: &'static str,
    pub kind_label: String,
    pub details: String,
    pub note: String,
}

/// One supervision notice.
#[derive(Debug, Clone)]
pub struct SupervisionRow {
    pub id: String,
    pub from: String,
    pub kind: String,
    pub reply_by: String,
    pub answered: String,
}

/// A reply to the petitioner (答复), public: the public tracker shows it.
#[derive(Debug)]
pub struct PublicReplyRow {
    pub on: String,
    pub office: String,
    pub text: String,
}

#[derive(Debug, Template)]
#[template(path = "case.html")]
pub struct CasePage {
    pub chrome: Chrome,
    pub case_id: String,
    pub owner_unit_id: String,
    pub status: &'static str,
    pub status_label: String,
    pub sequence: u32,
    pub days_overdue: u32,
    pub due: String,
    pub fields: Vec<Field>,
    pub events: Vec<TimelineEvent>,
    pub supervisions: Vec<SupervisionRow>,
    pub public_replies: Vec<PublicReplyRow>,
    pub petitioner: Vec<Field>,
    pub petitioner_note: Option<String>,
    pub actions: Vec<ActionForm>,
    pub satisfactions: Vec<Choice>,
    /// The owner unit's departments today, for the transfer and assignment forms.
    pub departments: Vec<Choice>,
}

#[derive(Debug, Default, serde::Deserialize)]
pub struct LangQuery {
    lang: Option<String>,
}

/// `GET /case/{case_id}`: one case, its log and what the viewer may do.
pub async fn case(
    State(state): State<WebState>,
    viewer: Viewer,
    Path(case_id): Path<String>,
    Query(query): Query<LangQuery>,
    headers: HeaderMap,
    uri: Uri,
) -> Response {
    answer(&state, &viewer, query.lang.as_deref(), (&headers, &uri), None, |chrome| {
        case_page(&state, &viewer, &case_id, chrome)
    })
    .await
}

/// The whole case, page by page, as `case show` reads it; the petitioner
/// asked for only where the viewer may see them (an officer or leader
/// whose subtree holds the case).
async fn whole_case(state: &WebState, viewer: &Viewer, case_id: &str) -> Result<CaseFile, tonic::Status> {
    let cases = Cases::new(state.node().clone());
    let mut whole = pb::GetCaseResponse::default();
    let mut after = 0;
    loop {
        let request = pb::GetCaseRequest {
            case_id: case_id.to_owned(),
            with_petitioner: false,
            events_after_sequence: after,
        };
        let part = cases.get_case(viewer.request(request)).await?.into_inner();
        if after == 0 {
            whole.case = part.case;
        }
        whole.events.extend(part.events);
        if part.next_events_after_sequence == 0 {
            break;
        }
        after = part.next_events_after_sequence;
    }
    if let Some(case) = &whole.case {
        let owner = case.owner_unit_id.as_str();
        let origin = case.intake.as_ref().map_or("", |i| i.origin_unit_id.as_str());
        let rpc = Rpc::GetCase { with_petitioner: true };
        if allowed(state, viewer, rpc, Target::Case { owner, origin }) {
            // No events after the newest: only the petitioner.
            let request = pb::GetCaseRequest {
                case_id: case_id.to_owned(),
                with_petitioner: true,
                events_after_sequence: case.sequence,
            };
            whole.petitioner = cases.get_case(viewer.request(request)).await?.into_inner().petitioner;
        }
    }
    let zone = state.node().config().time.zone;
    Ok(CaseFile::try_from(whole).map_err(unreadable)?.in_zone(zone))
}

/// The actions the case page offers a form for, in the order it shows
/// them; each shown only when the case's status allows it (the ledger's
/// own table, [`CaseAction::allowed_from`]) and the viewer's role and place
/// do. Reviews and supervision replies stay with the CLI and gRPC.
const PAGE_ACTIONS: [CaseAction; 12] = [
    CaseAction::Accept,
    CaseAction::Decline,
    CaseAction::Assign,
    CaseAction::Progress,
    CaseAction::Resolve,
    CaseAction::Extend,
    CaseAction::Escalate,
    CaseAction::AssignDown,
    CaseAction::TransferToDepartment,
    CaseAction::AssignToDepartment,
    CaseAction::Close,
    CaseAction::Reopen,
];

/// The page's actions a case in `status` allows.
fn actions_for(status: CaseStatus) -> impl Iterator<Item = CaseAction> {
    PAGE_ACTIONS.into_iter().filter(move |action| action.allowed_from().contains(&status))
}

async fn case_page(
    state: &WebState,
    viewer: &Viewer,
    case_id: &str,
    chrome: Chrome,
) -> Result<CasePage, tonic::Status> {
    super::detail_held_here(state, &state.node().config().home_unit, "cases")?;
    let file = whole_case(state, viewer, case_id).await?;
    let case = &file.case;
    let m = chrome.messages;
    let owner = case.owner_unit_id.to_string();
    let origin = case.intake.origin_unit_id.to_string();
    let target = Target::Case { owner: &owner, origin: &origin };
    let today = state.node().config().time.local_date(state.node().clock().now());
    let departments: Vec<Choice> = state
        .node()
        .departments()
        .of_unit(&case.owner_unit_id, today)
        .into_iter()
        .map(|d| Choice { value: d.id.to_string(), label: d.name.clone(), selected: false })
        .collect();
    let actions = if case.held_here {
        actions_for(case.status)
            .filter(|action| allowed(state, viewer, Rpc::ActOnCase(*action), target))
            .filter(|action| {
                !matches!(action, CaseAction::TransferToDepartment | CaseAction::AssignToDepartment)
                    || !departments.is_empty()
            })
            .map(|action| ActionForm { action: action.as_str(), label: m.name("action", action.as_str()) })
            .collect()
    } else {
        Vec::new()
    };
    let petitioner_allowed = allowed(state, viewer, Rpc::GetCase { with_petitioner: true }, target);
    let petitioner = match &file.petitioner {
        Some(p) => [
            ("field-petitioner-name", &p.name),
            ("field-petitioner-phone", &p.phone),
            ("field-petitioner-id", &p.id_number),
        ]
        .into_iter()
        .filter_map(|(key, value)| value.as_ref().map(|v| Field::plain(m.text(key), v.clone())))
        .collect(),
        None => Vec::new(),
    };
    let petitioner_note =
        (petitioner_allowed && file.petitioner.is_none()).then(|| m.text("case-no-petitioner"));
    let chrome = chrome.with_unit(
        &owner,
        allowed(state, viewer, Rpc::ListCases, Target::Unit(&owner)),
        !state.node().summary_fed(),
    );
    Ok(CasePage {
        case_id: case.case_id.to_string(),
        owner_unit_id: owner.clone(),
        status: case.status.as_str(),
        status_label: m.name("status", case.status.as_str()),
        sequence: case.sequence,
        days_overdue: case.days_overdue,
        due: case.due.map(|d| d.to_string()).unwrap_or_default(),
        fields: fields(state, m, case),
        events: file
            .events
            .iter()
            .map(|event| TimelineEvent {
                sequence: event.sequence,
                at: event.at.for_people(),
                unit: event.unit_id.to_string(),
                actor: actor_text(m, &event.actor),
                kind: event.kind,
                kind_label: m.name("event", event.kind),
                details: change_details(m, &event.change),
                note: event.note.clone(),
            })
            .collect(),
        supervisions: case
            .supervisions
            .iter()
            .map(|s| SupervisionRow {
                id: s.supervision_id.clone(),
                from: s.from_unit_id.to_string(),
                kind: m.name("supervision", s.kind.as_str()),
                reply_by: s.reply_by.to_string(),
                answered: match s.replied_on {
                    None => m.text("supervision-not-answered"),
                    Some(on) => tr_in!(m, "supervision-replied", on = on.to_string()),
                },
            })
            .collect(),
        public_replies: case
            .public_replies
            .iter()
            .map(|reply| PublicReplyRow {
                on: reply.on.to_string(),
                office: reply.department.as_ref().map_or_else(|| reply.unit.to_string(), ToString::to_string),
                text: reply.text.clone(),
            })
            .collect(),
        petitioner,
        petitioner_note,
        actions,
        satisfactions: ["satisfied", "dissatisfied", "unreachable"]
            .iter()
            .map(|s| Choice { value: (*s).to_owned(), label: m.name("satisfaction", s), selected: false })
            .collect(),
        departments,
        chrome,
    })
}

/// The case's fields, as `case show` lists them; unset ones left out.
fn fields(state: &WebState, m: &Messages, case: &CaseRecord) -> Vec<Field> {
    let tree = state.node().tree();
    let unit = |id: &str| tree.get(id).map_or_else(|| id.to_owned(), |u| format!("{} {id}", u.name));
    let intake = &case.intake;
    let date = |d: Option<chrono::NaiveDate>| d.map(|d| d.to_string()).unwrap_or_default();
    let text = |v: &Option<String>| v.clone().unwrap_or_default();
    let held =
        if case.held_here { m.text("field-owner-held-here") } else { m.text("field-owner-held-elsewhere") };
    let mut fields = vec![
        Field::plain(m.text("field-status"), m.name("status", case.status.as_str())),
        Field::plain(m.text("field-owner"), format!("{}{held}", unit(case.owner_unit_id.as_str()))),
        Field::plain(m.text("field-origin"), unit(intake.origin_unit_id.as_str())),
        Field::plain(m.text("field-channel"), m.name("channel", intake.channel.as_str())),
        Field::plain(m.text("field-category"), m.name("category", intake.category.as_str())),
        Field::plain(m.text("field-summary"), intake.summary.clone()),
    ];
    let mut add = |label: String, value: String| {
        if !value.is_empty() {
            fields.push(Field::plain(label, value));
        }
    };
    add(m.text("field-from-report"), intake.source.as_ref().map(dispute_ref_text).unwrap_or_default());
    add(m.text("field-petitioner-ref"), text(&intake.petitioner_ref));
    add(m.text("field-workers"), if intake.workers > 0 { intake.workers.to_string() } else { String::new() });
    add(
        m.text("field-amount-claimed"),
        if intake.amount_claimed_cents > 0 { yuan(intake.amount_claimed_cents) } else { String::new() },
    );
    add(
        m.text("field-repeat-of"),
        case.repeat
            .as_ref()
            .map(|r| r.of_case_ids.iter().map(ToString::to_string).collect::<Vec<_>>().join(" "))
            .unwrap_or_default(),
    );
    add(m.text("field-registered"), case.registered_at.for_people());
    add(m.text("field-accept-by"), case.accept_by.to_string());
    add(m.text("field-accepted-on"), date(case.accepted_on));
    add(m.text("field-not-accepted"), text(&case.not_accepted_reason));
    add(
        m.text("field-deadline"),
        match case.deadline {
            Some(deadline) if case.extended => {
                tr_in!(m, "field-deadline-extended", deadline = deadline.to_string())
            }
            deadline => date(deadline),
        },
    );
    let departments = state.node().departments();
    let department = |id: &fengqiao_core::department::DepartmentId| {
        departments.latest(id).map_or_else(|| id.to_string(), |d| format!("{} {id}", d.name))
    };
    add(m.text("field-department"), case.department_id.as_ref().map(&department).unwrap_or_default());
    for task in &case.department_tasks {
        let value = match task.reported_on {
            Some(on) => tr_in!(
                m,
                "field-department-task-reported",
                department = department(&task.department),
                report_by = task.report_by.to_string(),
                reported_on = on.to_string()
            ),
            None => tr_in!(
                m,
                "field-department-task-open",
                department = department(&task.department),
                report_by = task.report_by.to_string()
            ),
        };
        add(m.text("field-department-task"), value);
    }
    add(m.text("field-leader"), text(&case.leader));
    add(m.text("field-responsible"), text(&case.responsible));
    add(m.text("field-plan"), text(&case.plan));
    add(m.text("field-resolution"), text(&case.resolution));
    add(
        m.text("field-recovered"),
        if case.amount_recovered_cents > 0 { yuan(case.amount_recovered_cents) } else { String::new() },
    );
    add(m.text("field-resolved-on"), date(case.resolved_on));
    add(
        m.text("field-satisfaction"),
        case.satisfaction.map(|s| m.name("satisfaction", s.as_str())).unwrap_or_default(),
    );
    add(m.text("field-closed-on"), date(case.closed_on));
    add(m.text("field-updated"), case.updated_at.for_people());
    fields
}

/// The fields of an action form.
#[derive(Debug, Default, serde::Deserialize)]
pub struct ActForm {
    #[serde(default)]
    action: String,
    #[serde(default)]
    expected_sequence: u32,
    #[serde(default)]
    note: String,
    #[serde(default)]
    leader: String,
    #[serde(default)]
    responsible: String,
    #[serde(default)]
    plan: String,
    #[serde(default)]
    deadline: String,
    #[serde(default)]
    days: String,
    #[serde(default)]
    reason: String,
    #[serde(default)]
    to_unit_id: String,
    #[serde(default)]
    satisfaction: String,
    #[serde(default)]
    resolution: String,
    /// Yuan, as people write it (`12,000.50`).
    #[serde(default)]
    amount_recovered: String,
    /// `{unit}:{code}`: transfer and assignment to a department.
    #[serde(default)]
    department_id: String,
    #[serde(default)]
    report_by: String,
}

/// `POST /case/{case_id}/act`: the CSRF token first (403, nothing
/// changed), then `ActOnCase` in-process as the viewer with the sequence
/// the page showed; back to the case page (303), or the refusal page.
pub async fn act(
    State(state): State<WebState>,
    viewer: Viewer,
    Path(case_id): Path<String>,
    headers: HeaderMap,
    body: Bytes,
) -> Response {
    if let Err(refused) = check_csrf(&state, &viewer, &csrf_field(&body), &headers) {
        return refused.into_response();
    }
    let lang = lang_of(None, &headers);
    let form: ActForm = match serde_urlencoded::from_bytes(&body) {
        Ok(form) => form,
        Err(_) => return PageError::refused(lang, &invalid("form", "…")).into_response(),
    };
    let action = match action_of(&form) {
        Ok(action) => action,
        Err(status) => return PageError::refused(lang, &status).into_response(),
    };
    let request = pb::ActOnCaseRequest {
        case_id: case_id.clone(),
        expected_sequence: form.expected_sequence,
        note: form.note.trim().to_owned(),
        action: Some(action),
        ..Default::default()
    };
    match Cases::new(state.node().clone()).act_on_case(viewer.request(request)).await {
        Ok(_) => Redirect::to(&format!("/case/{case_id}")).into_response(),
        Err(status) => PageError::refused(lang, &status).into_response(),
    }
}

/// The `ActOnCase` action a form asks for.
fn action_of(form: &ActForm) -> Result<pb::act_on_case_request::Action, tonic::Status> {
    use pb::act_on_case_request::{self as act, Action};
    let days = || form.days.trim().parse::<u32>().map_err(|_| invalid("days", &form.days));
    Ok(match form.action.as_str() {
        "accept" => Action::Accept(act::Accept {}),
        "decline" => Action::Decline(act::Decline { reason: form.reason.trim().to_owned() }),
        "progress" => Action::Progress(act::Progress {}),
        "resolve" => {
            let text = form.amount_recovered.trim().replace(',', "");
            let amount_recovered_cents = if text.is_empty() {
                0
            } else {
                fengqiao_core::read::parse_yuan(&text)
                    .map_err(|_| invalid("amount_recovered", &form.amount_recovered))?
            };
            Action::Resolve(act::Resolve {
                resolution: form.resolution.trim().to_owned(),
                amount_recovered_cents,
            })
        }
        "reopen" => Action::Reopen(act::Reopen { reason: form.reason.trim().to_owned() }),
        "assign" => Action::Assign(act::Assign {
            leader: form.leader.trim().to_owned(),
            responsible: form.responsible.trim().to_owned(),
            plan: form.plan.trim().to_owned(),
            deadline: form.deadline.trim().to_owned(),
        }),
        "extend" => Action::Extend(act::Extend { days: days()?, reason: form.reason.trim().to_owned() }),
        "escalate" => Action::Escalate(act::Escalate { reason: form.reason.trim().to_owned() }),
        "assign_down" => Action::AssignDown(act::AssignDown {
            to_unit_id: form.to_unit_id.trim().to_owned(),
            deadline: form.deadline.trim().to_owned(),
        }),
        "close" => {
            let satisfaction = pb::Satisfaction::from_str_name(&format!(
                "SATISFACTION_{}",
                form.satisfaction.to_ascii_uppercase()
            ))
            .filter(|s| *s != pb::Satisfaction::Unspecified)
            .ok_or_else(|| invalid("satisfaction", &form.satisfaction))?;
            Action::Close(act::Close { satisfaction: satisfaction.into() })
        }
        "transfer_to_department" => Action::TransferToDepartment(act::TransferToDepartment {
            department_id: form.department_id.trim().to_owned(),
            reason: form.reason.trim().to_owned(),
            deadline: form.deadline.trim().to_owned(),
        }),
        "assign_to_department" => Action::AssignToDepartment(act::AssignToDepartment {
            department_id: form.department_id.trim().to_owned(),
            report_by: form.report_by.trim().to_owned(),
        }),
        other => return Err(invalid("action", other)),
    })
}
