//! `fengqiao case show`: one case, its fields and its event log (the whole
//! log, page by page: [`get_whole_case`]).

use anyhow::Result;
use comfy_table::Table;
use fengqiao_core::read::{CaseFile, CaseRecord, PetitionerRecord};
use fengqiao_proto::pb;

use crate::commands::case::render::{actor_text, change_details, dispute_ref_text, nonzero, repeat_text};
use crate::connection::{Connection, out, refused};
use crate::render::yuan;
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
    let zone = args.connection.zone_policy()?.zone;
    let answer = get_whole_case(&args.connection, &args.case_id, args.petitioner).await?;
    let file = CaseFile::try_from(answer)?.in_zone(zone);
    if args.json {
        out(serde_json::to_value(&file)?)?;
        return Ok(());
    }
    if !out(case_table(&file.case, file.petitioner.as_ref()))? {
        return Ok(());
    }
    if args.petitioner && file.petitioner.is_none() {
        println!("{}", tr!("case-no-petitioner"));
    }
    let mut events = crate::render::table::plain();
    events.set_header(crate::i18n::headings(["seq", "date", "unit", "actor", "event", "details", "note"]));
    for event in &file.events {
        events.add_row([
            event.sequence.to_string(),
            event.on.to_string(),
            event.unit_id.to_string(),
            actor_text(&event.actor),
            crate::i18n::name("event", event.kind),
            change_details(&event.change),
            event.note.clone(),
        ]);
    }
    if out(events)? {
        out(tr!("case-events-footer", count = file.events.len(), newest = file.case.sequence))?;
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
fn case_table(case: &CaseRecord, petitioner: Option<&PetitionerRecord>) -> Table {
    let intake = &case.intake;
    let text = |value: &Option<String>| value.clone().unwrap_or_default();
    let date = |value: Option<chrono::NaiveDate>| value.map(|d| d.to_string()).unwrap_or_default();
    let mut rows: Vec<(String, String)> = vec![
        (tr!("field-case"), case.case_id.to_string()),
        (tr!("field-status"), crate::i18n::name("status", case.status.as_str())),
        (
            tr!("field-owner"),
            format!(
                "{}{}",
                case.owner_unit_id,
                if case.held_here { tr!("field-owner-held-here") } else { tr!("field-owner-held-elsewhere") }
            ),
        ),
        (tr!("field-origin"), intake.origin_unit_id.to_string()),
        (tr!("field-channel"), crate::i18n::name("channel", intake.channel.as_str())),
        (tr!("field-category"), crate::i18n::name("category", intake.category.as_str())),
        (tr!("field-summary"), intake.summary.clone()),
    ];
    let mut add = |label: String, value: String| {
        if !value.is_empty() {
            rows.push((label, value));
        }
    };
    add(tr!("field-from-report"), intake.source.as_ref().map(dispute_ref_text).unwrap_or_default());
    add(tr!("field-petitioner-ref"), text(&intake.petitioner_ref));
    if let Some(p) = petitioner {
        add(tr!("field-petitioner"), [text(&p.name), text(&p.phone), text(&p.id_number)].join("  "));
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
    add(tr!("field-registered"), case.registered_at.for_people());
    add(tr!("field-accept-by"), case.accept_by.to_string());
    add(tr!("field-accepted-on"), date(case.accepted_on));
    add(tr!("field-not-accepted"), text(&case.not_accepted_reason));
    add(
        tr!("field-deadline"),
        match case.deadline {
            Some(deadline) if case.extended => {
                tr!("field-deadline-extended", deadline = deadline.to_string())
            }
            deadline => date(deadline),
        },
    );
    add(tr!("field-next-step-due"), date(case.due));
    add(tr!("field-days-overdue"), nonzero(case.days_overdue.into()));
    add(tr!("field-leader"), text(&case.leader));
    add(tr!("field-responsible"), text(&case.responsible));
    add(tr!("field-plan"), text(&case.plan));
    add(tr!("field-resolution"), text(&case.resolution));
    add(
        tr!("field-recovered"),
        if case.amount_recovered_cents > 0 { yuan(case.amount_recovered_cents) } else { String::new() },
    );
    add(
        tr!("field-resolved-on"),
        match case.resolved_on {
            None => String::new(),
            Some(on) => {
                let timing = if case.resolved_on_time { tr!("word-on-time") } else { tr!("word-overdue") };
                format!("{on} ({timing})")
            }
        },
    );
    add(
        tr!("field-satisfaction"),
        case.satisfaction.map(|s| crate::i18n::name("satisfaction", s.as_str())).unwrap_or_default(),
    );
    add(tr!("field-closed-on"), date(case.closed_on));
    add(tr!("field-review-by"), date(case.review_by));
    add(tr!("field-reviews"), nonzero(case.reviews.into()));
    add(tr!("field-escalations"), nonzero(case.escalations.into()));
    add(tr!("field-assigned-down"), nonzero(case.assignments_down.into()));
    add(tr!("field-reopened"), nonzero(case.reopened.into()));
    for s in &case.supervisions {
        let answered = match s.replied_on {
            None => tr!("supervision-not-answered"),
            Some(on) => tr!("supervision-replied", on = on.to_string()),
        };
        add(
            tr!("field-supervision"),
            tr!(
                "supervision-text",
                supervision = &s.supervision_id,
                from = s.from_unit_id.to_string(),
                kind = crate::i18n::name("supervision", s.kind.as_str()),
                reply_by = s.reply_by.to_string(),
                received = s.received_on.to_string(),
                answered = answered
            ),
        );
    }
    add(tr!("field-sequence"), case.sequence.to_string());
    add(tr!("field-updated"), case.updated_at.for_people());
    let mut table = crate::render::table::plain();
    for (label, value) in rows {
        table.add_row([label, value]);
    }
    table
}
