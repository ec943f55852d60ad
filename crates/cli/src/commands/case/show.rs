//! `fengqiao case show`: one case, its fields and its event log (the whole
//! log, page by page: [`get_whole_case`]).

use anyhow::Result;
use comfy_table::Table;
use fengqiao_core::TimePolicy;
use fengqiao_proto::pb;
use serde_json::json;

use crate::commands::case::names::{dispute_ref_text, enum_name, enum_name_or_empty};
use crate::commands::case::render::{
    actor_text, case_json, event_json, kind_details, kind_name, nonzero, petitioner_json, repeat_text,
};
use crate::connection::{Connection, out, refused};
use crate::render::time_fmt;
use crate::render::{category_name, yuan};
use crate::tr;

#[derive(Debug, clap::Args)]
pub struct ShowArgs {
    #[command(flatten)]
    pub connection: Connection,
    pub case_id: String,
    /// Include the petitioner's name, phone and ID number (only where the case is held).
    #[arg(long)]
    pub petitioner: bool,
    /// Print the case, its events and the petitioner as JSON.
    #[arg(long)]
    pub json: bool,
}

/// `fengqiao case show`.
pub async fn show(args: ShowArgs) -> Result<()> {
    let policy = args.connection.zone_policy()?;
    let zone = policy.zone;
    let answer = get_whole_case(&args.connection, &args.case_id, args.petitioner).await?;
    let case = answer.case.unwrap_or_default();
    if args.json {
        let value = json!({
            "case": case_json(&case, &zone),
            "events": answer.events.iter().map(|e| event_json(e, &zone)).collect::<Vec<_>>(),
            "petitioner": answer.petitioner.as_ref().map(petitioner_json),
        });
        out(value)?;
        return Ok(());
    }
    if !out(case_table(&case, answer.petitioner.as_ref(), &policy))? {
        return Ok(());
    }
    if args.petitioner && answer.petitioner.is_none() {
        println!("{}", tr!("case-no-petitioner"));
    }
    let mut events = crate::render::table::plain();
    events.set_header(crate::i18n::headings(["seq", "date", "unit", "actor", "event", "details", "note"]));
    for event in &answer.events {
        events.add_row([
            event.sequence.to_string(),
            event.on.clone(),
            event.unit_id.clone(),
            actor_text(event),
            crate::i18n::name("event", kind_name(event.kind.as_ref())),
            kind_details(event.kind.as_ref()),
            event.note.clone(),
        ]);
    }
    if out(events)? {
        out(tr!("case-events-footer", count = answer.events.len(), newest = case.sequence))?;
    }
    Ok(())
}

/// A case with every event of its log: a long log comes in parts (each
/// answer is bounded in bytes), read here until the node says it is whole.
pub(crate) async fn get_whole_case(
    connection: &Connection,
    case_id: &str,
    with_petitioner: bool,
) -> Result<pb::GetCaseResponse> {
    let mut client = connection.cases().await?;
    let mut whole = pb::GetCaseResponse::default();
    let mut after = 0;
    loop {
        let request =
            pb::GetCaseRequest { case_id: case_id.to_owned(), with_petitioner, events_after_sequence: after };
        let part = client.get_case(request).await.map_err(refused)?.into_inner();
        if after == 0 {
            whole.case = part.case;
            whole.petitioner = part.petitioner;
        }
        whole.events.extend(part.events);
        if part.next_events_after_sequence == 0 {
            return Ok(whole);
        }
        after = part.next_events_after_sequence;
    }
}

/// A case as a two-column table; unset fields are left out.
fn case_table(case: &pb::Case, petitioner: Option<&pb::Petitioner>, policy: &TimePolicy) -> Table {
    let intake = case.intake.clone().unwrap_or_default();
    let name =
        |kind: &str, value: String| if value.is_empty() { value } else { crate::i18n::name(kind, &value) };
    let mut rows: Vec<(String, String)> = vec![
        (tr!("field-case"), case.case_id.clone()),
        (tr!("field-status"), crate::i18n::name("status", &enum_name::<pb::CaseStatus>(case.status))),
        (
            tr!("field-owner"),
            format!(
                "{}{}",
                case.owner_unit_id,
                if case.held_here { tr!("field-owner-held-here") } else { tr!("field-owner-held-elsewhere") }
            ),
        ),
        (tr!("field-origin"), intake.origin_unit_id.clone()),
        (tr!("field-channel"), crate::i18n::name("channel", &enum_name::<pb::CaseChannel>(intake.channel))),
        (tr!("field-category"), crate::i18n::name("category", &category_name(intake.category))),
        (tr!("field-summary"), intake.summary.clone()),
    ];
    let mut add = |label: String, value: String| {
        if !value.is_empty() {
            rows.push((label, value));
        }
    };
    add(tr!("field-from-report"), intake.source.as_ref().map(dispute_ref_text).unwrap_or_default());
    add(tr!("field-petitioner-ref"), intake.petitioner_ref.clone());
    if let Some(p) = petitioner {
        add(tr!("field-petitioner"), [p.name.as_str(), p.phone.as_str(), p.id_number.as_str()].join("  "));
    }
    add(tr!("field-workers"), nonzero(intake.workers.into()));
    add(
        tr!("field-amount-claimed"),
        if intake.amount_claimed_cents > 0 { yuan(intake.amount_claimed_cents) } else { String::new() },
    );
    add(
        tr!("field-repeat-of"),
        case.repeat.as_ref().filter(|r| !r.of_case_ids.is_empty()).map(repeat_text).unwrap_or_default(),
    );
    add(
        tr!("field-registered"),
        time_fmt::wire_for_people(case.registered_at, &policy.zone).unwrap_or_default(),
    );
    add(tr!("field-accept-by"), case.accept_by.clone());
    add(tr!("field-accepted-on"), case.accepted_on.clone());
    add(tr!("field-not-accepted"), case.not_accepted_reason.clone());
    add(
        tr!("field-deadline"),
        if case.extended && !case.deadline.is_empty() {
            tr!("field-deadline-extended", deadline = &case.deadline)
        } else {
            case.deadline.clone()
        },
    );
    add(tr!("field-next-step-due"), case.due.clone());
    add(tr!("field-days-overdue"), nonzero(case.days_overdue.into()));
    add(tr!("field-leader"), case.leader.clone());
    add(tr!("field-responsible"), case.responsible.clone());
    add(tr!("field-plan"), case.plan.clone());
    add(tr!("field-resolution"), case.resolution.clone());
    add(
        tr!("field-recovered"),
        if case.amount_recovered_cents > 0 { yuan(case.amount_recovered_cents) } else { String::new() },
    );
    add(
        tr!("field-resolved-on"),
        if case.resolved_on.is_empty() {
            String::new()
        } else {
            let timing = if case.resolved_on_time { tr!("word-on-time") } else { tr!("word-overdue") };
            format!("{} ({timing})", case.resolved_on)
        },
    );
    add(
        tr!("field-satisfaction"),
        name("satisfaction", enum_name_or_empty::<pb::Satisfaction>(case.satisfaction)),
    );
    add(tr!("field-closed-on"), case.closed_on.clone());
    add(tr!("field-review-by"), case.review_by.clone());
    add(tr!("field-reviews"), nonzero(case.reviews.into()));
    add(tr!("field-escalations"), nonzero(case.escalations.into()));
    add(tr!("field-assigned-down"), nonzero(case.assignments_down.into()));
    add(tr!("field-reopened"), nonzero(case.reopened.into()));
    for s in &case.supervisions {
        let answered = if s.replied_on.is_empty() {
            tr!("supervision-not-answered")
        } else {
            tr!("supervision-replied", on = &s.replied_on)
        };
        add(
            tr!("field-supervision"),
            tr!(
                "supervision-text",
                supervision = &s.supervision_id,
                from = &s.from_unit_id,
                kind = crate::i18n::name("supervision", &enum_name::<pb::SupervisionKind>(s.kind)),
                reply_by = &s.reply_by,
                received = &s.received_on,
                answered = answered
            ),
        );
    }
    add(tr!("field-sequence"), case.sequence.to_string());
    add(tr!("field-updated"), time_fmt::wire_for_people(case.updated_at, &policy.zone).unwrap_or_default());
    let mut table = crate::render::table::plain();
    for (label, value) in rows {
        table.add_row([label, value]);
    }
    table
}
