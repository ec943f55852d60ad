//! The case-ledger commands, over `fengqiao.v1.CaseService`: `case`
//! (register a case and move it through its life: accept or decline,
//! assign, record progress, extend, escalate, transfer down, resolve, close,
//! reopen, review, reply to supervision; show one case; list a subtree's
//! ledger), `roster` (the leader on duty, 领导值班), `visit` (a duty-reception
//! visit), `supervise` (督办) — and `drill`, which lists what lies behind one
//! figure of a summary (`SummaryService.DrillDown`).

use anyhow::{Result, anyhow, bail};
use chrono::{Datelike, NaiveDate};
use chrono_tz::Tz;
use comfy_table::Table;
use fengqiao_core::TimePolicy;
use fengqiao_core::actor::Actor;
use fengqiao_proto::pb;
use fengqiao_proto::pb::act_on_case_request::{self as act, Action};
use fengqiao_proto::pb::case_event::Kind;
use fengqiao_proto::pb::case_service_client::CaseServiceClient;
use serde_json::{Value, json};
use tonic::transport::Channel;

use crate::client::{Connection, out, parse_category, parse_yuan, refused};
use crate::render::{category_name, empty_null, yuan};
use crate::units::UnitNames;
use crate::{time_fmt, tr};

impl Connection {
    pub async fn cases(&self) -> Result<CaseServiceClient<Channel>> {
        Ok(CaseServiceClient::new(self.channel().await?)
            .max_decoding_message_size(fengqiao_proto::CLIENT_MAX_DECODING_BYTES))
    }
}

/// Longest range of days `roster set --from/--to` writes at once.
const MAX_ROSTER_DAYS: i64 = 366;

// ---------------------------------------------------------------- case

#[derive(Debug, clap::Subcommand)]
pub enum CaseCommand {
    /// Register a case (立案) at a unit the node serves.
    Register(RegisterArgs),
    /// Accept a registered case (受理): the handling deadline starts.
    Accept(AcceptArgs),
    /// Decline a registered case (不予受理), with the reason.
    Decline(DeclineArgs),
    /// Assign a case (包案): leader, responsible person, plan (一案一策), deadline.
    Assign(AssignArgs),
    /// Record progress on an assigned case (the note says what was done).
    Progress(ProgressArgs),
    /// Extend a case's deadline once (延期), with the reason.
    Extend(ExtendArgs),
    /// Escalate a case to the tier above (上报); it passes to that tier's node.
    Escalate(EscalateArgs),
    /// Assign a case down (交办) to a unit below its owner.
    Transfer(TransferArgs),
    /// Resolve a case (化解), with the resolution and any amount recovered.
    Resolve(ResolveArgs),
    /// Close a resolved case (销号) with the petitioner's satisfaction.
    Close(CloseArgs),
    /// Reopen a closed case the petitioner was dissatisfied with.
    Reopen(ReopenArgs),
    /// Request a review (复查/复核) of a closed case (--reason), or decide one held here (--decide).
    Review(ReviewArgs),
    /// Reply to a supervision notice (督办) on a case (the note is the reply).
    Reply(ReplyArgs),
    /// One case: its fields and its event log.
    Show(ShowArgs),
    /// The case ledger of a unit's subtree, filtered.
    List(ListArgs),
}

/// `fengqiao case …`.
pub async fn run(command: CaseCommand) -> Result<()> {
    use CaseCommand as C;
    match command {
        C::Register(a) => register(a).await,
        C::Show(a) => show(a).await,
        C::List(a) => list(a).await,
        C::Accept(a) => act_on(a.case_id, a.act, a.note, Action::Accept(act::Accept {})).await,
        C::Decline(a) => {
            act_on(a.case_id, a.act, a.note, Action::Decline(act::Decline { reason: a.reason })).await
        }
        C::Assign(a) => {
            let deadline = optional_date(&a.act.connection, a.deadline.as_deref(), "--deadline")?;
            let assign = act::Assign { leader: a.leader, responsible: a.responsible, plan: a.plan, deadline };
            act_on(a.case_id, a.act, a.note, Action::Assign(assign)).await
        }
        C::Progress(a) => {
            if a.note.trim().is_empty() {
                bail!(tr!("error-note-progress"));
            }
            act_on(a.case_id, a.act, a.note, Action::Progress(act::Progress {})).await
        }
        C::Extend(a) => {
            let extend = act::Extend { days: a.days, reason: a.reason };
            act_on(a.case_id, a.act, a.note, Action::Extend(extend)).await
        }
        C::Escalate(a) => {
            act_on(a.case_id, a.act, a.note, Action::Escalate(act::Escalate { reason: a.reason })).await
        }
        C::Transfer(a) => {
            let deadline = optional_date(&a.act.connection, a.deadline.as_deref(), "--deadline")?;
            let down = act::AssignDown { to_unit_id: a.to, deadline };
            act_on(a.case_id, a.act, a.note, Action::AssignDown(down)).await
        }
        C::Resolve(a) => {
            let resolve =
                act::Resolve { resolution: a.resolution, amount_recovered_cents: a.recovered.unwrap_or(0) };
            act_on(a.case_id, a.act, a.note, Action::Resolve(resolve)).await
        }
        C::Close(a) => {
            let close = act::Close { satisfaction: a.satisfaction.into() };
            act_on(a.case_id, a.act, a.note, Action::Close(close)).await
        }
        C::Reopen(a) => {
            act_on(a.case_id, a.act, a.note, Action::Reopen(act::Reopen { reason: a.reason })).await
        }
        C::Review(a) => {
            let action = match (a.reason, a.decide) {
                (Some(reason), None) => Action::RequestReview(act::RequestReview { reason }),
                (None, Some(decision)) => {
                    Action::DecideReview(act::DecideReview { decision: decision.into() })
                }
                _ => bail!(tr!("error-reason-or-decide")),
            };
            act_on(a.case_id, a.act, a.note, action).await
        }
        C::Reply(a) => {
            if a.note.trim().is_empty() {
                bail!(tr!("error-note-reply"));
            }
            let reply = act::ReplySupervision { supervision_id: a.supervision };
            act_on(a.case_id, a.act, a.note, Action::ReplySupervision(reply)).await
        }
    }
}

/// An optional date flag as `YYYY-MM-DD` (empty when absent).
fn optional_date(connection: &Connection, value: Option<&str>, flag: &str) -> Result<String> {
    Ok(value.map(|v| connection.date(v, flag)).transpose()?.map(|d| d.to_string()).unwrap_or_default())
}

/// Who acts. Over mTLS the node records the identity of your certificate
/// (and the display name it carries); nothing here can change that.
#[derive(Debug, Default, clap::Args)]
pub struct ActorArgs {
    /// Over mTLS leave it out (your certificate names you; another person's id is refused). A plaintext
    /// local node records it as unverified free text.
    #[arg(long)]
    pub actor: Option<String>,
    /// Record that you act on this person's behalf (their person id, as stated: not verified), e.g. an
    /// officer typing up a leader's decision. It lends you none of their authority.
    #[arg(long, value_name = "PERSON_ID")]
    pub on_behalf_of: Option<String>,
    /// The display name of --on-behalf-of (e.g. 王书记).
    #[arg(long, value_name = "NAME", requires = "on_behalf_of")]
    pub on_behalf_of_name: Option<String>,
}

impl ActorArgs {
    /// The request's `actor`: empty unless given.
    fn actor(&self) -> String {
        self.actor.clone().unwrap_or_default()
    }

    /// The request's `on_behalf_of`.
    fn on_behalf_of(&self) -> Option<pb::OnBehalfOf> {
        self.on_behalf_of.as_ref().map(|person_id| pb::OnBehalfOf {
            person_id: person_id.clone(),
            display_name: self.on_behalf_of_name.clone().unwrap_or_default(),
        })
    }
}

/// What every command that acts on a case takes besides its own flags.
#[derive(Debug, clap::Args)]
pub struct ActArgs {
    #[command(flatten)]
    pub connection: Connection,
    #[command(flatten)]
    pub who: ActorArgs,
    /// The case's sequence you last saw (`case show`): refused if anyone acted on it since.
    #[arg(long, value_name = "N", value_parser = clap::value_parser!(u32).range(1..))]
    pub expect_seq: Option<u32>,
    /// Print the case and the event written as JSON.
    #[arg(long)]
    pub json: bool,
}

#[derive(Debug, clap::Args)]
pub struct AcceptArgs {
    pub case_id: String,
    /// A note for the case log.
    #[arg(long, default_value = "")]
    pub note: String,
    #[command(flatten)]
    pub act: ActArgs,
}

#[derive(Debug, clap::Args)]
pub struct DeclineArgs {
    pub case_id: String,
    /// Why the case is not accepted (不予受理).
    #[arg(long)]
    pub reason: String,
    /// A note for the case log.
    #[arg(long, default_value = "")]
    pub note: String,
    #[command(flatten)]
    pub act: ActArgs,
}

#[derive(Debug, clap::Args)]
pub struct AssignArgs {
    pub case_id: String,
    /// The leader who takes the case on (包案领导).
    #[arg(long)]
    pub leader: String,
    /// The person responsible for handling it.
    #[arg(long)]
    pub responsible: String,
    /// The plan (一案一策).
    #[arg(long)]
    pub plan: String,
    /// YYYY-MM-DD, today or yesterday; not after the case's deadline (the default).
    #[arg(long)]
    pub deadline: Option<String>,
    /// A note for the case log.
    #[arg(long, default_value = "")]
    pub note: String,
    #[command(flatten)]
    pub act: ActArgs,
}

#[derive(Debug, clap::Args)]
pub struct ProgressArgs {
    pub case_id: String,
    /// What progress was made.
    #[arg(long)]
    pub note: String,
    #[command(flatten)]
    pub act: ActArgs,
}

#[derive(Debug, clap::Args)]
pub struct ExtendArgs {
    pub case_id: String,
    /// Days added to the deadline (once per case; the regulation allows at most 30).
    #[arg(long, value_parser = clap::value_parser!(u32).range(1..))]
    pub days: u32,
    /// Why the case needs more time.
    #[arg(long)]
    pub reason: String,
    /// A note for the case log.
    #[arg(long, default_value = "")]
    pub note: String,
    #[command(flatten)]
    pub act: ActArgs,
}

#[derive(Debug, clap::Args)]
pub struct EscalateArgs {
    pub case_id: String,
    /// Why the tier above must take the case.
    #[arg(long)]
    pub reason: String,
    /// A note for the case log.
    #[arg(long, default_value = "")]
    pub note: String,
    #[command(flatten)]
    pub act: ActArgs,
}

#[derive(Debug, clap::Args)]
pub struct TransferArgs {
    pub case_id: String,
    /// The unit below the case's owner that takes it (交办).
    #[arg(long, value_name = "UNIT")]
    pub to: String,
    /// YYYY-MM-DD, today or yesterday; not after the case's deadline (the default).
    #[arg(long)]
    pub deadline: Option<String>,
    /// A note for the case log.
    #[arg(long, default_value = "")]
    pub note: String,
    #[command(flatten)]
    pub act: ActArgs,
}

#[derive(Debug, clap::Args)]
pub struct ResolveArgs {
    pub case_id: String,
    /// How the matter was settled (no names, phone numbers or ID numbers).
    #[arg(long)]
    pub resolution: String,
    /// Amount recovered for the petitioners, in yuan (e.g. 36000 or 120.50).
    #[arg(long, value_name = "YUAN", value_parser = parse_yuan)]
    pub recovered: Option<i64>,
    /// A note for the case log.
    #[arg(long, default_value = "")]
    pub note: String,
    #[command(flatten)]
    pub act: ActArgs,
}

#[derive(Debug, clap::Args)]
pub struct CloseArgs {
    pub case_id: String,
    /// What the petitioner said: satisfied, dissatisfied or unreachable.
    #[arg(long, value_parser = parse_name::<pb::Satisfaction>)]
    pub satisfaction: pb::Satisfaction,
    /// A note for the case log.
    #[arg(long, default_value = "")]
    pub note: String,
    #[command(flatten)]
    pub act: ActArgs,
}

#[derive(Debug, clap::Args)]
pub struct ReopenArgs {
    pub case_id: String,
    /// Why the case is handled again.
    #[arg(long)]
    pub reason: String,
    /// A note for the case log.
    #[arg(long, default_value = "")]
    pub note: String,
    #[command(flatten)]
    pub act: ActArgs,
}

#[derive(Debug, clap::Args)]
#[command(group(clap::ArgGroup::new("review").required(true).args(["reason", "decide"])))]
pub struct ReviewArgs {
    pub case_id: String,
    /// Request a review by the tier above: why the petitioner disputes the closure.
    #[arg(long)]
    pub reason: Option<String>,
    /// Decide a review held here: upheld (the closure stands) or overturned (handle it again).
    #[arg(long, value_parser = parse_name::<pb::ReviewDecision>)]
    pub decide: Option<pb::ReviewDecision>,
    /// A note for the case log.
    #[arg(long, default_value = "")]
    pub note: String,
    #[command(flatten)]
    pub act: ActArgs,
}

#[derive(Debug, clap::Args)]
pub struct ReplyArgs {
    pub case_id: String,
    /// The supervision notice answered (its id, shown by `case show`).
    #[arg(long, value_name = "SUPERVISION_ID")]
    pub supervision: String,
    /// The reply: what was done.
    #[arg(long)]
    pub note: String,
    #[command(flatten)]
    pub act: ActArgs,
}

/// Sends one action and prints the case as it now stands and the event written.
async fn act_on(case_id: String, args: ActArgs, note: String, action: Action) -> Result<()> {
    let request = pb::ActOnCaseRequest {
        case_id,
        expected_sequence: args.expect_seq.unwrap_or(0),
        actor: args.who.actor(),
        note,
        action: Some(action),
        on_behalf_of: args.who.on_behalf_of(),
    };
    let zone = zone_policy(&args.connection)?.zone;
    let answer = args.connection.cases().await?.act_on_case(request).await.map_err(refused_act)?.into_inner();
    let case = answer.case.unwrap_or_default();
    let event = answer.event.unwrap_or_default();
    if args.json {
        println!(
            "{}",
            json!({ "case": case_json(&case, &zone), "event": event_json(&event, &chrono_tz::Asia::Shanghai) })
        );
        return Ok(());
    }
    println!("{}", event_line(&event));
    println!("{}", standing(&case));
    Ok(())
}

/// A refusal, with what to do when the case moved on since it was read.
fn refused_act(status: tonic::Status) -> anyhow::Error {
    if status.code() == tonic::Code::Aborted {
        anyhow!(tr!("error-case-moved-on", refusal = refused(status).to_string()))
    } else {
        refused(status)
    }
}

/// `event 3 (2026-05-01, unit 110101, alice): assigned — leader …; note: …`
fn event_line(event: &pb::CaseEvent) -> String {
    let mut line = tr!(
        "event-line",
        sequence = event.sequence,
        on = &event.on,
        unit = &event.unit_id,
        actor = actor_text(event),
        kind = crate::i18n::name("event", kind_name(event.kind.as_ref()))
    );
    let details = kind_details(event.kind.as_ref());
    if !details.is_empty() {
        line.push_str(" — ");
        line.push_str(&details);
    }
    if !event.note.is_empty() {
        line.push_str(&tr!("event-note", note = &event.note));
    }
    line
}

/// `case X: status assigned · owner U · deadline D · due D`
fn standing(case: &pb::Case) -> String {
    let mut line = tr!(
        "case-standing",
        case = &case.case_id,
        status = crate::i18n::name("status", &enum_name::<pb::CaseStatus>(case.status)),
        owner = &case.owner_unit_id,
        deadline = dash(&case.deadline)
    );
    if !case.due.is_empty() && case.due != case.deadline {
        line.push_str(&tr!("case-standing-due", due = &case.due));
    }
    if case.days_overdue > 0 {
        line.push_str(&tr!("case-standing-overdue", days = case.days_overdue));
    }
    if !case.held_here {
        line.push_str(&tr!("case-standing-elsewhere", owner = &case.owner_unit_id));
    }
    line
}

// ---------------------------------------------------------------- register

#[derive(Debug, clap::Args)]
pub struct RegisterArgs {
    #[command(flatten)]
    pub connection: Connection,
    /// The unit registering the case (origin); with --from-report, the dispute's unit by default.
    #[arg(long, required_unless_present = "from_report")]
    pub unit: Option<String>,
    /// How the matter came in: letter, phone, online, visit or report (the default with --from-report).
    #[arg(long, required_unless_present = "from_report", value_parser = parse_name::<pb::CaseChannel>)]
    pub channel: Option<pb::CaseChannel>,
    /// The dispute category (with --from-report, the dispute's by default).
    #[arg(long, required_unless_present = "from_report", value_parser = parse_category)]
    pub category: Option<pb::DisputeCategory>,
    /// What the matter is (no names, phone numbers or ID numbers; with --from-report, the dispute's by default).
    #[arg(long, required_unless_present = "from_report")]
    pub summary: Option<String>,
    /// An id of your choosing; generated when absent. Retrying with the same id and content is harmless.
    #[arg(long)]
    pub case_id: Option<String>,
    #[command(flatten)]
    pub petitioner: PetitionerArgs,
    /// Workers concerned (wage arrears).
    #[arg(long)]
    pub workers: Option<u32>,
    /// Amount claimed, in yuan (e.g. 36000 or 120.50).
    #[arg(long, value_name = "YUAN", value_parser = parse_yuan)]
    pub amount: Option<i64>,
    /// The dispute of a daily report the case comes from; the date is YYYY-MM-DD, today or
    /// yesterday (e.g. `410411001001@yesterday#d1`).
    #[arg(long, value_name = "UNIT@DATE#LOCAL_ID", value_parser = parse_dispute_ref)]
    pub from_report: Option<pb::DisputeRef>,
    #[command(flatten)]
    pub who: ActorArgs,
    /// A note for the case log.
    #[arg(long, default_value = "")]
    pub note: String,
    /// Print the case as JSON.
    #[arg(long)]
    pub json: bool,
}

/// The petitioner's personal data: kept only at the node holding the case.
/// The node takes a petitioner only with both a name and an ID number.
#[derive(Debug, clap::Args)]
pub struct PetitionerArgs {
    /// The petitioner's name (with --petitioner-id).
    #[arg(long, requires = "petitioner_id")]
    pub petitioner_name: Option<String>,
    /// The petitioner's phone number (with --petitioner-name and --petitioner-id).
    #[arg(long, requires = "petitioner_name", requires = "petitioner_id")]
    pub petitioner_phone: Option<String>,
    /// The petitioner's ID number (with --petitioner-name); the node keeps a keyed hash of it to find
    /// repeat petitions.
    #[arg(long, requires = "petitioner_name")]
    pub petitioner_id: Option<String>,
}

impl PetitionerArgs {
    fn petitioner(&self) -> Option<pb::Petitioner> {
        if self.petitioner_name.is_none() && self.petitioner_phone.is_none() && self.petitioner_id.is_none() {
            return None;
        }
        Some(pb::Petitioner {
            name: self.petitioner_name.clone().unwrap_or_default(),
            phone: self.petitioner_phone.clone().unwrap_or_default(),
            id_number: self.petitioner_id.clone().unwrap_or_default(),
        })
    }
}

/// `fengqiao case register`.
pub async fn register(args: RegisterArgs) -> Result<()> {
    let channel = match (&args.from_report, args.channel) {
        (Some(_), None | Some(pb::CaseChannel::Report)) => pb::CaseChannel::Report,
        (Some(_), Some(other)) => {
            bail!(tr!("error-from-report-channel", channel = name_of(other).to_string()))
        }
        (None, Some(channel)) => channel,
        (None, None) => bail!(tr!("error-flag-required", flag = "--channel")),
    };
    let source = match &args.from_report {
        Some(source) => Some(pb::DisputeRef {
            date: args.connection.date(&source.date, "--from-report")?.to_string(),
            ..source.clone()
        }),
        None => None,
    };
    let origin = match (&args.unit, &args.from_report) {
        (Some(unit), _) => unit.clone(),
        (None, Some(source)) => source.unit_id.clone(),
        (None, None) => bail!(tr!("error-flag-required", flag = "--unit")),
    };
    let intake = pb::CaseIntake {
        origin_unit_id: origin,
        category: args.category.map_or(0, i32::from),
        channel: channel.into(),
        summary: args.summary.clone().unwrap_or_default(),
        petitioner_ref: String::new(),
        source,
        workers: args.workers.unwrap_or(0),
        amount_claimed_cents: args.amount.unwrap_or(0),
    };
    let request = pb::RegisterCaseRequest {
        case_id: args.case_id.clone().unwrap_or_default(),
        intake: Some(intake),
        petitioner: args.petitioner.petitioner(),
        actor: args.who.actor(),
        note: args.note.clone(),
        on_behalf_of: args.who.on_behalf_of(),
    };
    let zone = zone_policy(&args.connection)?.zone;
    let answer = args.connection.cases().await?.register_case(request).await.map_err(refused)?.into_inner();
    let case = answer.case.unwrap_or_default();
    if args.json {
        println!("{}", json!({ "case": case_json(&case, &zone), "created": answer.created }));
        return Ok(());
    }
    let intake = case.intake.clone().unwrap_or_default();
    if answer.created {
        println!(
            "{}",
            tr!(
                "case-registered",
                case = &case.case_id,
                unit = &intake.origin_unit_id,
                channel = crate::i18n::name("channel", &enum_name::<pb::CaseChannel>(intake.channel)),
                category = crate::i18n::name("category", &category_name(intake.category)),
                accept_by = dash(&case.accept_by)
            )
        );
    } else {
        println!("{}", tr!("case-registered-before", case = &case.case_id));
    }
    print_repeat_and_standing(&case);
    Ok(())
}

/// A new case's repeat link (when it is one) and where it stands.
fn print_repeat_and_standing(case: &pb::Case) {
    if let Some(repeat) = case.repeat.as_ref().filter(|r| !r.of_case_ids.is_empty()) {
        println!("{}", tr!("case-repeat-petition", repeat = repeat_text(repeat)));
    }
    println!("{}", standing(case));
}

// ---------------------------------------------------------------- show

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
    let policy = zone_policy(&args.connection)?;
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
    let mut events = table();
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
    let mut table = table();
    for (label, value) in rows {
        table.add_row([label, value]);
    }
    table
}

// ---------------------------------------------------------------- list

#[derive(Debug, clap::Args)]
pub struct ListArgs {
    #[command(flatten)]
    pub connection: Connection,
    /// Root of the subtree (cases owned or registered in it).
    #[arg(long)]
    pub unit: String,
    /// Only these statuses (repeat the flag or separate with commas): registered, not_accepted,
    /// accepted, assigned, in_progress, resolved, closed, under_review.
    #[arg(long, value_delimiter = ',', value_parser = parse_name::<pb::CaseStatus>)]
    pub status: Vec<pb::CaseStatus>,
    /// Only cases overdue (at the end of --as-of).
    #[arg(long)]
    pub overdue: bool,
    /// Only repeat petitions.
    #[arg(long)]
    pub repeat: bool,
    /// Cases registered in an ISO week instead of --from/--to: `2026-W48`, `this`, `last`, or a
    /// date in it.
    #[arg(long, conflicts_with_all = ["from", "to"])]
    pub week: Option<String>,
    /// First registration day: YYYY-MM-DD, today or yesterday.
    #[arg(long)]
    pub from: Option<String>,
    /// Last registration day (inclusive).
    #[arg(long)]
    pub to: Option<String>,
    /// The day overdue is judged on (default today).
    #[arg(long)]
    pub as_of: Option<String>,
    /// At most this many cases (newest registration first).
    #[arg(long, default_value_t = 100, value_parser = clap::value_parser!(u32).range(1..))]
    pub limit: u32,
    /// One JSON object per case and line instead of a table.
    #[arg(long)]
    pub json: bool,
}

/// `fengqiao case list`.
pub async fn list(args: ListArgs) -> Result<()> {
    let connection = &args.connection;
    let date = |value: &Option<String>, flag: &str| -> Result<Option<NaiveDate>> {
        value.as_deref().map(|v| connection.date(v, flag)).transpose()
    };
    let (from, to) = match &args.week {
        Some(week) => connection.range(Some(week), None, None).map(|(from, to)| (Some(from), Some(to)))?,
        None => (date(&args.from, "--from")?, date(&args.to, "--to")?),
    };
    let as_of = date(&args.as_of, "--as-of")?;
    if let (Some(from), Some(to)) = (from, to)
        && to < from
    {
        bail!(tr!("error-to-before-from", to = to.to_string(), from = from.to_string()));
    }
    let text = |d: Option<NaiveDate>| d.map(|d| d.to_string()).unwrap_or_default();
    let zone = zone_policy(connection)?.zone;
    let names =
        if args.json { UnitNames::default() } else { UnitNames::of_subtree(connection, &args.unit).await? };
    let mut client = connection.cases().await?;
    let mut table = table();
    table.set_header(crate::i18n::headings([
        "case",
        "status",
        "owner",
        "category",
        "channel",
        "registered",
        "due",
        "days-overdue",
        "leader",
        "repeat",
    ]));
    let mut page_token = String::new();
    let mut listed = 0u32;
    let more = loop {
        let page = client
            .list_cases(pb::ListCasesRequest {
                unit_id: args.unit.clone(),
                statuses: args.status.iter().map(|s| i32::from(*s)).collect(),
                overdue: args.overdue,
                repeat: args.repeat,
                registered_from: text(from),
                registered_to: text(to),
                as_of: text(as_of),
                page_size: (args.limit - listed).min(1000),
                page_token: page_token.clone(),
            })
            .await
            .map_err(refused)?
            .into_inner();
        for case in page.cases.iter().take((args.limit - listed) as usize) {
            listed += 1;
            let days_overdue = match as_of {
                Some(on) => days_overdue(&case.due, on),
                None => case.days_overdue,
            };
            if args.json {
                let mut value = case_json(case, &zone);
                value["days_overdue"] = days_overdue.into();
                if !out(value)? {
                    return Ok(());
                }
                continue;
            }
            let intake = case.intake.clone().unwrap_or_default();
            table.add_row([
                case.case_id.clone(),
                crate::i18n::name("status", &enum_name::<pb::CaseStatus>(case.status)),
                format!("{} {}", case.owner_unit_id, names.name(&case.owner_unit_id)).trim_end().to_owned(),
                crate::i18n::name("category", &category_name(intake.category)),
                crate::i18n::name("channel", &enum_name::<pb::CaseChannel>(intake.channel)),
                case.registered_on.clone(),
                case.due.clone(),
                nonzero(days_overdue.into()),
                case.leader.clone(),
                case.repeat.as_ref().map(repeat_cell).unwrap_or_default(),
            ]);
        }
        if page.next_page_token.is_empty() {
            break false;
        }
        if listed >= args.limit {
            break true;
        }
        page_token = page.next_page_token;
    };
    if !args.json {
        if !out(table)? {
            return Ok(());
        }
        let mut footer = tr!("case-list-footer", count = listed, unit = &args.unit);
        if more {
            footer.push_str(&tr!("case-list-more", limit = args.limit));
        }
        out(footer)?;
    }
    Ok(())
}

/// Days past `due` at the end of `on` (0 when not due or not past).
fn days_overdue(due: &str, on: NaiveDate) -> u32 {
    let Ok(due) = NaiveDate::parse_from_str(due, "%Y-%m-%d") else { return 0 };
    u32::try_from((on - due).num_days().max(0)).unwrap_or(u32::MAX)
}

/// The list's repeat column: the newest earlier case, and how many more.
fn repeat_cell(repeat: &pb::RepeatLink) -> String {
    match repeat.of_case_ids.as_slice() {
        [] => String::new(),
        [only] => tr!("repeat-of", cases = only),
        [newest, rest @ ..] => format!("{} +{}", tr!("repeat-of", cases = newest), rest.len()),
    }
}

// ---------------------------------------------------------------- roster

#[derive(Debug, clap::Subcommand)]
pub enum RosterCommand {
    /// Set the leader on duty for a day, or for every day of a range.
    Set(RosterSetArgs),
    /// The leaders on duty for a range of days (every day listed, unset ones as -).
    Show(RosterShowArgs),
}

#[derive(Debug, clap::Args)]
pub struct RosterSetArgs {
    #[command(flatten)]
    pub connection: Connection,
    /// The unit receiving visitors.
    #[arg(long)]
    pub unit: String,
    /// The day: YYYY-MM-DD, today or yesterday.
    #[arg(long, required_unless_present = "from", conflicts_with_all = ["from", "to"])]
    pub date: Option<String>,
    /// First day of a range instead of --date.
    #[arg(long, requires = "to")]
    pub from: Option<String>,
    /// Last day of the range (inclusive).
    #[arg(long, requires = "from")]
    pub to: Option<String>,
    /// The leader on duty.
    #[arg(long)]
    pub leader: String,
    /// Print the answer as JSON.
    #[arg(long)]
    pub json: bool,
}

#[derive(Debug, clap::Args)]
pub struct RosterShowArgs {
    #[command(flatten)]
    pub connection: Connection,
    /// The unit receiving visitors.
    #[arg(long)]
    pub unit: String,
    /// First day: YYYY-MM-DD, today or yesterday.
    #[arg(long, default_value = "today")]
    pub from: String,
    /// Last day (inclusive); default a week from --from.
    #[arg(long)]
    pub to: Option<String>,
    /// Print the entries as JSON.
    #[arg(long)]
    pub json: bool,
}

/// `fengqiao roster …`.
pub async fn roster(command: RosterCommand) -> Result<()> {
    match command {
        RosterCommand::Set(args) => roster_set(args).await,
        RosterCommand::Show(args) => roster_show(args).await,
    }
}

async fn roster_set(args: RosterSetArgs) -> Result<()> {
    let connection = &args.connection;
    let (from, to) = match (&args.date, &args.from, &args.to) {
        (Some(date), _, _) => {
            let date = connection.date(date, "--date")?;
            (date, date)
        }
        (None, Some(from), Some(to)) => (connection.date(from, "--from")?, connection.date(to, "--to")?),
        _ => bail!(tr!("error-date-or-range")),
    };
    if args.leader.trim().is_empty() {
        bail!(tr!("error-leader-required"));
    }
    let days = days_of(from, to, "--from", "--to")?;
    let entries: Vec<pb::RosterEntry> = days
        .iter()
        .map(|day| pb::RosterEntry {
            unit_id: args.unit.clone(),
            date: day.to_string(),
            leader: args.leader.clone(),
        })
        .collect();
    let answer = connection
        .cases()
        .await?
        .set_roster(pb::SetRosterRequest { entries })
        .await
        .map_err(refused)?
        .into_inner();
    if args.json {
        let value = json!({
            "unit_id": args.unit, "from_date": from.to_string(), "to_date": to.to_string(),
            "leader": args.leader, "stored": answer.stored,
        });
        println!("{value}");
    } else if from == to {
        println!(
            "{}",
            tr!(
                "roster-set-day",
                unit = &args.unit,
                date = from,
                leader = &args.leader,
                stored = answer.stored
            )
        );
    } else {
        println!(
            "{}",
            tr!(
                "roster-set-range",
                unit = &args.unit,
                from = from,
                to = to,
                leader = &args.leader,
                stored = answer.stored
            )
        );
    }
    Ok(())
}

async fn roster_show(args: RosterShowArgs) -> Result<()> {
    let connection = &args.connection;
    let from = connection.date(&args.from, "--from")?;
    let to = match &args.to {
        Some(to) => connection.date(to, "--to")?,
        None => from + chrono::Duration::days(6),
    };
    let days = days_of(from, to, "--from", "--to")?;
    let answer = connection
        .cases()
        .await?
        .get_roster(pb::GetRosterRequest {
            unit_id: args.unit.clone(),
            from_date: from.to_string(),
            to_date: to.to_string(),
        })
        .await
        .map_err(refused)?
        .into_inner();
    if args.json {
        let value = json!({
            "unit_id": args.unit, "from_date": from.to_string(), "to_date": to.to_string(),
            "entries": answer.entries.iter().map(|e| json!({"date": e.date, "leader": e.leader})).collect::<Vec<_>>(),
        });
        println!("{value}");
        return Ok(());
    }
    let mut table = table();
    table.set_header(crate::i18n::headings(["date", "day", "leader-on-duty"]));
    let mut unset = 0usize;
    for day in &days {
        let date = day.to_string();
        let leader = answer.entries.iter().find(|e| e.date == date).map(|e| e.leader.clone());
        if leader.is_none() {
            unset += 1;
        }
        let weekday = crate::i18n::text(&format!("weekday-{}", day.weekday().to_string().to_lowercase()));
        table.add_row([date, weekday, leader.unwrap_or_else(|| "-".into())]);
    }
    if out(table)? {
        out(tr!("roster-footer", unit = &args.unit, from = from, to = to, unset = unset, days = days.len()))?;
    }
    Ok(())
}

/// Every day from `from` to `to`, refusing reversed or over-long ranges.
fn days_of(from: NaiveDate, to: NaiveDate, from_flag: &str, to_flag: &str) -> Result<Vec<NaiveDate>> {
    if to < from {
        bail!(tr!(
            "error-flag-before",
            to_flag = to_flag,
            to = to.to_string(),
            from_flag = from_flag,
            from = from.to_string()
        ));
    }
    if (to - from).num_days() >= MAX_ROSTER_DAYS {
        bail!(tr!(
            "error-range-too-long",
            from_flag = from_flag,
            from = from.to_string(),
            to_flag = to_flag,
            to = to.to_string(),
            days = MAX_ROSTER_DAYS
        ));
    }
    Ok(from.iter_days().take_while(|day| *day <= to).collect())
}

// ---------------------------------------------------------------- visit

#[derive(Debug, clap::Args)]
pub struct VisitArgs {
    #[command(flatten)]
    pub connection: Connection,
    /// The unit receiving the visitor.
    #[arg(long)]
    pub unit: String,
    /// The dispute category.
    #[arg(long, value_parser = parse_category)]
    pub category: pb::DisputeCategory,
    /// What the visitor raised (no names, phone numbers or ID numbers).
    #[arg(long)]
    pub summary: String,
    #[command(flatten)]
    pub petitioner: PetitionerArgs,
    /// Answered on the spot: the case is resolved and closed today (needs --resolution and --satisfaction).
    #[arg(long, requires = "resolution", requires = "satisfaction")]
    pub answered: bool,
    /// How it was answered.
    #[arg(long, requires = "answered")]
    pub resolution: Option<String>,
    /// What the visitor said: satisfied, dissatisfied or unreachable.
    #[arg(long, requires = "answered", value_parser = parse_name::<pb::Satisfaction>)]
    pub satisfaction: Option<pb::Satisfaction>,
    /// An id of your choosing for the case; generated when absent.
    #[arg(long)]
    pub case_id: Option<String>,
    /// Who received the visitor.
    #[command(flatten)]
    pub who: ActorArgs,
    /// Print the case and the leader on duty as JSON.
    #[arg(long)]
    pub json: bool,
}

/// `fengqiao visit`: a duty-reception visit (领导接访), answered or registered.
pub async fn visit(args: VisitArgs) -> Result<()> {
    let request = pb::RecordVisitRequest {
        unit_id: args.unit.clone(),
        category: args.category.into(),
        summary: args.summary.clone(),
        petitioner: args.petitioner.petitioner(),
        actor: args.who.actor(),
        answered: args.answered,
        resolution: args.resolution.clone().unwrap_or_default(),
        satisfaction: args.satisfaction.map_or(0, i32::from),
        case_id: args.case_id.clone().unwrap_or_default(),
        on_behalf_of: args.who.on_behalf_of(),
    };
    let zone = zone_policy(&args.connection)?.zone;
    let answer = args.connection.cases().await?.record_visit(request).await.map_err(refused)?.into_inner();
    let case = answer.case.unwrap_or_default();
    if args.json {
        let value = json!({
            "case": case_json(&case, &zone),
            "leader_on_duty": empty_null(&answer.leader_on_duty),
        });
        println!("{value}");
        return Ok(());
    }
    let how = if args.answered { tr!("visit-answered") } else { tr!("visit-registered") };
    println!("{}", tr!("visit-recorded", unit = &args.unit, how = how, case = &case.case_id));
    if answer.leader_on_duty.is_empty() {
        println!("{}", tr!("visit-no-leader", date = dash(&case.registered_on)));
    } else {
        println!("{}", tr!("visit-leader", leader = &answer.leader_on_duty));
    }
    print_repeat_and_standing(&case);
    Ok(())
}

// ---------------------------------------------------------------- supervise

#[derive(Debug, clap::Args)]
pub struct SuperviseArgs {
    #[command(flatten)]
    pub connection: Connection,
    /// The case, owned below the node's unit.
    pub case_id: String,
    /// The form of supervision: document, interview, on_site or joint.
    #[arg(long, value_parser = parse_name::<pb::SupervisionKind>)]
    pub kind: pb::SupervisionKind,
    /// The day the owner must reply by: YYYY-MM-DD, today or later.
    #[arg(long)]
    pub reply_by: String,
    /// The notice (no names, phone numbers or ID numbers).
    #[arg(long)]
    pub text: String,
    /// Who issues it.
    #[command(flatten)]
    pub who: ActorArgs,
    /// Print the answer as JSON.
    #[arg(long)]
    pub json: bool,
}

/// `fengqiao supervise`: issue a supervision notice (督办) on a case below.
pub async fn supervise(args: SuperviseArgs) -> Result<()> {
    let reply_by = args.connection.date(&args.reply_by, "--reply-by")?.to_string();
    let request = pb::SuperviseRequest {
        case_id: args.case_id.clone(),
        kind: args.kind.into(),
        reply_by: reply_by.clone(),
        text: args.text.clone(),
        actor: args.who.actor(),
        on_behalf_of: args.who.on_behalf_of(),
    };
    let answer = args.connection.cases().await?.supervise(request).await.map_err(refused)?.into_inner();
    if args.json {
        let value = json!({
            "case_id": args.case_id, "supervision_id": answer.supervision_id,
            "owner_unit_id": answer.owner_unit_id, "kind": name_of(args.kind), "reply_by": reply_by,
        });
        println!("{value}");
    } else {
        println!(
            "{}",
            tr!(
                "supervise-issued",
                supervision = &answer.supervision_id,
                kind = crate::i18n::name("supervision", &name_of(args.kind)),
                case = &args.case_id,
                unit = &answer.owner_unit_id,
                reply_by = &reply_by
            )
        );
    }
    Ok(())
}

// ---------------------------------------------------------------- drill

#[derive(Debug, clap::Args)]
pub struct DrillArgs {
    #[command(flatten)]
    pub connection: Connection,
    /// The unit whose subtree the figure is of.
    #[arg(long)]
    pub unit: String,
    /// An ISO week: `2026-W48`, `this`, `last`, or a date in it (this week when no range is given).
    #[arg(long, conflicts_with_all = ["from", "to"])]
    pub week: Option<String>,
    /// First day: YYYY-MM-DD, today or yesterday.
    #[arg(long)]
    pub from: Option<String>,
    /// Last day (inclusive; --from's day when left out).
    #[arg(long)]
    pub to: Option<String>,
    /// The figure: missing (the units × days without a report, once due), a case figure (cases.registered, cases.accepted, cases.accepted_on_time,
    /// cases.closed, cases.closed_on_time, cases.overdue, cases.escalated, cases.assigned_down,
    /// cases.repeat_petitions, cases.satisfied, cases.dissatisfied, cases.unreachable, cases.visits,
    /// cases.one_visit), a report figure (received, on_time, late, zero_reports, disputes,
    /// wage_disputes), or rank: the unit's row in the scorecard of the unit above it, with every
    /// component of its assessment.
    #[arg(long)]
    pub figure: String,
    /// One JSON object per case id or report and line.
    #[arg(long)]
    pub json: bool,
}

/// `fengqiao drill`: the case ids or reports behind one figure of a summary.
pub async fn drill(args: DrillArgs) -> Result<()> {
    let connection = &args.connection;
    let (from, to) = connection.range(args.week.as_deref(), args.from.as_deref(), args.to.as_deref())?;
    if args.figure == "missing" {
        return drill_missing(&args, from, to).await;
    }
    let policy = zone_policy(connection)?;
    let names =
        if args.json { UnitNames::default() } else { UnitNames::of_subtree(connection, &args.unit).await? };
    let mut client = connection.summaries().await?;
    let (mut cases, mut reports) = (0usize, 0usize);
    let mut page_token = String::new();
    loop {
        let page = client
            .drill_down(pb::DrillDownRequest {
                unit_id: args.unit.clone(),
                from_date: from.to_string(),
                to_date: to.to_string(),
                figure: args.figure.clone(),
                page_size: 1000,
                page_token: page_token.clone(),
            })
            .await
            .map_err(refused)?
            .into_inner();
        if let Some(place) = &page.place {
            let text = if args.json {
                json!({
                    "parent_unit_id": place.parent_unit_id,
                    "rows": place.rows,
                    "row": place.row.as_ref().map(|row| crate::summary::scorecard_row_json(row, &policy)),
                })
                .to_string()
            } else {
                crate::summary::render_place(place).trim_end().to_owned()
            };
            out(text)?;
            return Ok(());
        }
        for case_id in &page.case_ids {
            cases += 1;
            let line = if args.json { json!({ "case_id": case_id }).to_string() } else { case_id.clone() };
            if !out(line)? {
                return Ok(());
            }
        }
        for report in &page.reports {
            reports += 1;
            let line = if args.json {
                json!({ "unit_id": report.unit_id, "date": report.date }).to_string()
            } else {
                format!("{}  {}  {}", report.date, report.unit_id, names.name(&report.unit_id))
            };
            if !out(line)? {
                return Ok(());
            }
        }
        if page.next_page_token.is_empty() {
            break;
        }
        page_token = page.next_page_token;
    }
    if !args.json {
        let what = match (cases, reports) {
            (0, 0) => tr!("drill-nothing"),
            (n, 0) => tr!("count-cases", count = n),
            (0, n) => tr!("count-reports", count = n),
            (c, r) => tr!("drill-cases-and-reports", cases = c, reports = r),
        };
        out(tr!(
            "drill-footer",
            what = what,
            figure = &args.figure,
            unit = &args.unit,
            from = from,
            to = to
        ))?;
    }
    Ok(())
}

/// `drill --figure missing`: for each day of the range that is due (its
/// cut-off passed), the units expected to report that sent nothing — the
/// summary's `missing` figure, unit by unit.
async fn drill_missing(args: &DrillArgs, from: NaiveDate, to: NaiveDate) -> Result<()> {
    let mut client = args.connection.summaries().await?;
    let mut missing = 0usize;
    for day in from.iter_days().take_while(|day| *day <= to) {
        let answer = client
            .completeness(pb::CompletenessRequest { unit_id: args.unit.clone(), date: day.to_string() })
            .await
            .map_err(refused)?
            .into_inner();
        if !answer.due {
            break;
        }
        for unit in &answer.missing {
            missing += 1;
            let line = if args.json {
                json!({ "unit_id": unit.unit_id, "name": unit.name, "date": answer.date }).to_string()
            } else {
                format!("{}  {}  {}", answer.date, unit.unit_id, unit.name)
            };
            if !out(line)? {
                return Ok(());
            }
        }
    }
    if !args.json {
        out(tr!("drill-missing-footer", count = missing, unit = &args.unit, from = from, to = to))?;
    }
    Ok(())
}

// ---------------------------------------------------------------- JSON

/// A case as JSON: enums by lower-case name, unset dates and texts as null,
/// amounts in fen, instants in RFC 3339 (the prost types have no serde).
fn case_json(case: &pb::Case, zone: &Tz) -> Value {
    json!({
        "case_id": case.case_id,
        "intake": case.intake.as_ref().map(intake_json),
        "repeat": case.repeat.as_ref().map(repeat_json),
        "owner_unit_id": case.owner_unit_id,
        "status": enum_json::<pb::CaseStatus>(case.status),
        "registered_at": time_fmt::wire_for_machines(case.registered_at, zone),
        "registered_on": empty_null(&case.registered_on),
        "accept_by": empty_null(&case.accept_by),
        "accepted_on": empty_null(&case.accepted_on),
        "not_accepted_reason": empty_null(&case.not_accepted_reason),
        "deadline": empty_null(&case.deadline),
        "extended": case.extended,
        "leader": empty_null(&case.leader),
        "responsible": empty_null(&case.responsible),
        "plan": empty_null(&case.plan),
        "resolution": empty_null(&case.resolution),
        "amount_recovered_cents": case.amount_recovered_cents,
        "resolved_on": empty_null(&case.resolved_on),
        "resolved_on_time": case.resolved_on_time,
        "satisfaction": enum_json::<pb::Satisfaction>(case.satisfaction),
        "closed_on": empty_null(&case.closed_on),
        "review_by": empty_null(&case.review_by),
        "reviews": case.reviews,
        "escalations": case.escalations,
        "assignments_down": case.assignments_down,
        "reopened": case.reopened,
        "supervisions": case.supervisions.iter().map(|s| json!({
            "supervision_id": s.supervision_id,
            "from_unit_id": s.from_unit_id,
            "kind": enum_json::<pb::SupervisionKind>(s.kind),
            "reply_by": empty_null(&s.reply_by),
            "received_on": empty_null(&s.received_on),
            "replied_on": empty_null(&s.replied_on),
        })).collect::<Vec<_>>(),
        "sequence": case.sequence,
        "updated_at": time_fmt::wire_for_machines(case.updated_at, zone),
        "due": empty_null(&case.due),
        "days_overdue": case.days_overdue,
        "held_here": case.held_here,
    })
}

fn intake_json(intake: &pb::CaseIntake) -> Value {
    json!({
        "origin_unit_id": intake.origin_unit_id,
        "category": category_json(intake.category),
        "channel": enum_json::<pb::CaseChannel>(intake.channel),
        "summary": intake.summary,
        "petitioner_ref": empty_null(&intake.petitioner_ref),
        "source": intake.source.as_ref().map(|s| json!({
            "unit_id": s.unit_id, "date": s.date, "local_id": s.local_id,
        })),
        "workers": intake.workers,
        "amount_claimed_cents": intake.amount_claimed_cents,
    })
}

fn repeat_json(repeat: &pb::RepeatLink) -> Value {
    json!({
        "of_case_ids": repeat.of_case_ids,
        "rule": repeat.rule,
        "window_days": repeat.window_days,
        "since": empty_null(&repeat.since),
    })
}

fn petitioner_json(petitioner: &pb::Petitioner) -> Value {
    json!({
        "name": empty_null(&petitioner.name),
        "phone": empty_null(&petitioner.phone),
        "id_number": empty_null(&petitioner.id_number),
    })
}

/// An event as JSON: the common fields, `kind` by name and `details`, the
/// kind's own fields.
fn event_json(event: &pb::CaseEvent, zone: &Tz) -> Value {
    json!({
        "case_id": event.case_id,
        "sequence": event.sequence,
        "at": time_fmt::wire_for_machines(event.at, zone),
        "on": empty_null(&event.on),
        "unit_id": event.unit_id,
        // The domain's own JSON of who acted: `kind` (person, node,
        // unverified) and its fields.
        "actor": actor_of(event).map(|actor| serde_json::to_value(actor).unwrap_or(Value::Null)),
        "note": event.note,
        "kind": kind_name(event.kind.as_ref()),
        "details": kind_json(event.kind.as_ref()),
    })
}

fn kind_json(kind: Option<&Kind>) -> Value {
    match kind {
        None => Value::Null,
        Some(Kind::Registered(k)) => json!({
            "intake": k.intake.as_ref().map(intake_json),
            "accept_by": empty_null(&k.accept_by),
            "repeat": k.repeat.as_ref().map(repeat_json),
        }),
        Some(Kind::Accepted(k)) => json!({ "deadline": empty_null(&k.deadline) }),
        Some(Kind::NotAccepted(k)) => json!({ "reason": k.reason }),
        Some(Kind::Assigned(k)) => json!({
            "leader": k.leader, "responsible": k.responsible, "plan": k.plan,
            "deadline": empty_null(&k.deadline),
        }),
        Some(Kind::Progress(_)) => json!({}),
        Some(Kind::Extended(k)) => {
            json!({ "days": k.days, "reason": k.reason, "deadline": empty_null(&k.deadline) })
        }
        Some(Kind::Escalated(k)) => json!({ "to_unit_id": k.to_unit_id, "reason": k.reason }),
        Some(Kind::AssignedDown(k)) => {
            json!({ "to_unit_id": k.to_unit_id, "deadline": empty_null(&k.deadline) })
        }
        Some(Kind::Resolved(k)) => json!({
            "resolution": k.resolution, "amount_recovered_cents": k.amount_recovered_cents,
            "on_time": k.on_time,
        }),
        Some(Kind::Closed(k)) => json!({ "satisfaction": enum_json::<pb::Satisfaction>(k.satisfaction) }),
        Some(Kind::Reopened(k)) => json!({ "reason": k.reason, "deadline": empty_null(&k.deadline) }),
        Some(Kind::ReviewRequested(k)) => json!({
            "reason": k.reason, "to_unit_id": k.to_unit_id, "review_by": empty_null(&k.review_by),
        }),
        Some(Kind::Reviewed(k)) => json!({
            "decision": enum_json::<pb::ReviewDecision>(k.decision),
            "deadline": empty_null(&k.deadline),
        }),
        Some(Kind::Supervised(k)) => json!({
            "supervision_id": k.supervision_id, "from_unit_id": k.from_unit_id,
            "kind": enum_json::<pb::SupervisionKind>(k.kind), "reply_by": empty_null(&k.reply_by),
            "sender": k.sender.clone().and_then(|sender| fengqiao_proto::actor_from_pb(Some(sender), "", "sender").ok())
                .map(|sender| serde_json::to_value(sender).unwrap_or(Value::Null)),
        }),
        Some(Kind::SupervisionReplied(k)) => json!({ "supervision_id": k.supervision_id }),
        Some(Kind::RepeatFound(k)) => json!({
            "of_case_ids": k.of_case_ids, "window_days": k.window_days, "since": empty_null(&k.since),
        }),
    }
}

// ---------------------------------------------------------------- events as text

/// The kind of an event by its snake_case name (as in storage and figures).
fn kind_name(kind: Option<&Kind>) -> &'static str {
    match kind {
        None => "unknown",
        Some(Kind::Registered(_)) => "registered",
        Some(Kind::Accepted(_)) => "accepted",
        Some(Kind::NotAccepted(_)) => "not_accepted",
        Some(Kind::Assigned(_)) => "assigned",
        Some(Kind::Progress(_)) => "progress",
        Some(Kind::Extended(_)) => "extended",
        Some(Kind::Escalated(_)) => "escalated",
        Some(Kind::AssignedDown(_)) => "assigned_down",
        Some(Kind::Resolved(_)) => "resolved",
        Some(Kind::Closed(_)) => "closed",
        Some(Kind::Reopened(_)) => "reopened",
        Some(Kind::ReviewRequested(_)) => "review_requested",
        Some(Kind::Reviewed(_)) => "reviewed",
        Some(Kind::Supervised(_)) => "supervised",
        Some(Kind::SupervisionReplied(_)) => "supervision_replied",
        Some(Kind::RepeatFound(_)) => "repeat_found",
    }
}

/// What an event says beyond its kind, in a few words.
fn kind_details(kind: Option<&Kind>) -> String {
    let timing = |on_time: bool| if on_time { tr!("word-on-time") } else { tr!("word-overdue") };
    match kind {
        None | Some(Kind::Progress(_)) => String::new(),
        Some(Kind::Registered(k)) => {
            let intake = k.intake.clone().unwrap_or_default();
            let category = category_name(intake.category);
            let mut text =
                if category.is_empty() { String::new() } else { crate::i18n::name("category", &category) };
            if !text.is_empty() {
                text.push(' ');
            }
            text += &tr!(
                "detail-registered",
                channel = crate::i18n::name("channel", &enum_name::<pb::CaseChannel>(intake.channel)),
                accept_by = dash(&k.accept_by)
            );
            if let Some(source) = &intake.source {
                text.push_str(&tr!("detail-from-report", source = dispute_ref_text(source)));
            }
            if let Some(repeat) = k.repeat.as_ref().filter(|r| !r.of_case_ids.is_empty()) {
                text.push_str(&tr!("detail-repeat-of", cases = repeat.of_case_ids.join(" ")));
            }
            text
        }
        Some(Kind::Accepted(k)) => tr!("detail-deadline", deadline = dash(&k.deadline)),
        Some(Kind::NotAccepted(k)) => tr!("detail-reason", reason = &k.reason),
        Some(Kind::Assigned(k)) => tr!(
            "detail-assigned",
            leader = &k.leader,
            responsible = &k.responsible,
            deadline = dash(&k.deadline),
            plan = &k.plan
        ),
        Some(Kind::Extended(k)) => {
            tr!("detail-extended", days = k.days, deadline = dash(&k.deadline), reason = &k.reason)
        }
        Some(Kind::Escalated(k)) => tr!("detail-escalated", unit = &k.to_unit_id, reason = &k.reason),
        Some(Kind::AssignedDown(k)) => {
            tr!("detail-assigned-down", unit = &k.to_unit_id, deadline = dash(&k.deadline))
        }
        Some(Kind::Resolved(k)) => {
            let mut text = timing(k.on_time);
            if k.amount_recovered_cents > 0 {
                text.push_str(&tr!("detail-recovered", amount = yuan(k.amount_recovered_cents)));
            }
            tr!("detail-resolved", timing = text, resolution = &k.resolution)
        }
        Some(Kind::Closed(k)) => {
            crate::i18n::name("satisfaction", &enum_name::<pb::Satisfaction>(k.satisfaction))
        }
        Some(Kind::Reopened(k)) => tr!("detail-reopened", deadline = dash(&k.deadline), reason = &k.reason),
        Some(Kind::ReviewRequested(k)) => tr!(
            "detail-review-requested",
            unit = &k.to_unit_id,
            review_by = dash(&k.review_by),
            reason = &k.reason
        ),
        Some(Kind::Reviewed(k)) => {
            let decision = crate::i18n::name("review", &enum_name::<pb::ReviewDecision>(k.decision));
            if k.deadline.is_empty() {
                decision
            } else {
                tr!("detail-reviewed", decision = decision, deadline = &k.deadline)
            }
        }
        Some(Kind::Supervised(k)) => {
            let mut text = tr!(
                "detail-supervised",
                supervision = &k.supervision_id,
                from = &k.from_unit_id,
                kind = crate::i18n::name("supervision", &enum_name::<pb::SupervisionKind>(k.kind)),
                reply_by = dash(&k.reply_by)
            );
            if let Some(sender) =
                k.sender.clone().and_then(|s| fengqiao_proto::actor_from_pb(Some(s), "", "sender").ok())
            {
                text.push_str(&tr!("detail-issued-by", sender = sender.to_string()));
            }
            text
        }
        Some(Kind::SupervisionReplied(k)) => {
            tr!("detail-supervision-replied", supervision = &k.supervision_id)
        }
        Some(Kind::RepeatFound(k)) => tr!(
            "detail-repeat-found",
            cases = k.of_case_ids.join(" "),
            days = k.window_days,
            since = dash(&k.since)
        ),
    }
}

/// `of C2 C1 (same petitioner_ref and category within 365 days, since 2025-05-01)`
fn repeat_text(repeat: &pb::RepeatLink) -> String {
    let mut text = tr!("repeat-of", cases = repeat.of_case_ids.join(" "));
    let mut why = Vec::new();
    if !repeat.rule.is_empty() {
        why.push(repeat.rule.clone());
    }
    if !repeat.since.is_empty() {
        why.push(tr!("repeat-since", since = &repeat.since));
    }
    if !why.is_empty() {
        text.push_str(&format!(" ({})", why.join(", ")));
    }
    text
}

// ---------------------------------------------------------------- names and parsing

/// A wire enum named on the command line and in JSON by the lower-case rest
/// of its wire name: `CASE_STATUS_IN_PROGRESS` is `in_progress`.
trait WireEnum: Copy + TryFrom<i32> + Into<i32> {
    /// The prefix of its wire names, e.g. `CASE_STATUS_`.
    const PREFIX: &'static str;
    /// What a value is called in messages, e.g. `status`.
    const WHAT: &'static str;
    fn wire_name(self) -> &'static str;
    fn from_wire_name(name: &str) -> Option<Self>;
}

macro_rules! wire_enum {
    ($($ty:ty => $prefix:literal, $what:literal;)+) => {$(
        impl WireEnum for $ty {
            const PREFIX: &'static str = $prefix;
            const WHAT: &'static str = $what;
            fn wire_name(self) -> &'static str {
                self.as_str_name()
            }
            fn from_wire_name(name: &str) -> Option<Self> {
                <$ty>::from_str_name(name)
            }
        }
    )+};
}

wire_enum! {
    pb::CaseStatus => "CASE_STATUS_", "status";
    pb::CaseChannel => "CASE_CHANNEL_", "channel";
    pb::Satisfaction => "SATISFACTION_", "satisfaction";
    pb::SupervisionKind => "SUPERVISION_KIND_", "supervision kind";
    pb::ReviewDecision => "REVIEW_DECISION_", "review decision";
}

/// `in_progress` for `CaseStatus::InProgress`.
fn name_of<E: WireEnum>(value: E) -> String {
    let wire = value.wire_name();
    wire.strip_prefix(E::PREFIX).unwrap_or(wire).to_ascii_lowercase()
}

/// The name of a wire value; `unspecified`, or the number when this
/// version does not know it.
fn enum_name<E: WireEnum>(value: i32) -> String {
    E::try_from(value).map(name_of).unwrap_or_else(|_| value.to_string())
}

/// The name of a wire value, empty when unset.
fn enum_name_or_empty<E: WireEnum>(value: i32) -> String {
    if value == 0 { String::new() } else { enum_name::<E>(value) }
}

/// The name of a wire value, null when unset.
fn enum_json<E: WireEnum>(value: i32) -> Value {
    if value == 0 { Value::Null } else { enum_name::<E>(value).into() }
}

/// Every name a flag accepts (unspecified excluded).
fn names<E: WireEnum>() -> Vec<String> {
    (1..).map_while(|n| E::try_from(n).ok()).map(name_of).collect()
}

/// A value from the command line by name (`in_progress`, `in-progress`, `IN_PROGRESS`).
fn parse_name<E: WireEnum>(value: &str) -> Result<E, String> {
    let wire = format!("{}{}", E::PREFIX, value.trim().to_ascii_uppercase().replace('-', "_"));
    match E::from_wire_name(&wire) {
        Some(parsed) if Into::<i32>::into(parsed) != 0 => Ok(parsed),
        _ => Err(format!("unknown {} {value:?}; one of {}", E::WHAT, names::<E>().join(", "))),
    }
}

fn category_json(value: i32) -> Value {
    if value == 0 { Value::Null } else { category_name(value).into() }
}

/// `UNIT@DATE#LOCAL_ID`: the dispute `LOCAL_ID` of the daily report of
/// `UNIT` for that day (`YYYY-MM-DD`, `today` or `yesterday`, which
/// [`register`] turns into a date in the deployment's zone). Unit ids and local ids may themselves hold `@` or
/// `#`: the split is at the `@` followed by a date and `#`.
fn parse_dispute_ref(value: &str) -> Result<pb::DisputeRef, String> {
    let bad = |why: &str| {
        format!(
            "{value:?} {why} (expected UNIT@DATE#LOCAL_ID, the date YYYY-MM-DD, today or yesterday, e.g. \
             1101010010@2026-05-01#d1)"
        )
    };
    let mut date_seen = None;
    for (at, _) in value.match_indices('@') {
        let (unit, rest) = (&value[..at], &value[at + 1..]);
        let Some((date, local)) = rest.split_once('#') else { continue };
        let word = matches!(date, "today" | "yesterday");
        if date.len() != 10 && !word {
            continue;
        }
        if crate::dates::DateWord::parse(date, "--from-report").is_err() {
            date_seen = Some(date);
            continue;
        }
        if unit.is_empty() {
            return Err(bad("names no unit"));
        }
        if local.is_empty() {
            return Err(bad("names no dispute after #"));
        }
        return Ok(pb::DisputeRef {
            unit_id: unit.to_owned(),
            date: date.to_owned(),
            local_id: local.to_owned(),
        });
    }
    Err(match date_seen {
        Some(date) => bad(&format!("has {date:?}, which is not a date")),
        None => bad("is not a dispute reference"),
    })
}

fn dispute_ref_text(source: &pb::DisputeRef) -> String {
    format!("{}@{}#{}", source.unit_id, source.date, source.local_id)
}

/// Who acted in an event, as the node recorded it: the certificate's
/// identity and display name (`leader p7 at 410411 (王书记)`), the node,
/// or the insecure mode's text marked unverified.
fn actor_of(event: &pb::CaseEvent) -> Option<Actor> {
    fengqiao_proto::actor_from_pb(event.acted_by.clone(), &event.actor, "acted_by").ok()
}

/// Who acted, for people, in their language (the same parts as the
/// actor's English `Display`: role, id, unit, name, on whose behalf).
fn actor_text(event: &pb::CaseEvent) -> String {
    let Some(actor) = actor_of(event) else { return event.actor.clone() };
    let mut text = match &actor {
        Actor::Person { unit, role, id, name, .. } => {
            let who = tr!(
                "actor-person",
                role = crate::i18n::name("role", role.as_str()),
                id = id.as_str(),
                unit = unit.to_string()
            );
            match name {
                Some(name) => tr!("actor-named", who = who, name = name.to_string()),
                None => who,
            }
        }
        Actor::Node { unit, task } => {
            tr!("actor-node", unit = unit.to_string(), task = crate::i18n::name("node-task", task.as_str()))
        }
        Actor::Unverified { text: Some(text), .. } => tr!("actor-unverified", text = text.as_str()),
        Actor::Unverified { text: None, .. } => tr!("actor-insecure-operator"),
    };
    if let Some(principal) = actor.on_behalf_of() {
        text = tr!("actor-on-behalf", who = text, principal = principal.to_string());
    }
    text
}

// ---------------------------------------------------------------- helpers

fn table() -> Table {
    crate::table::plain()
}

fn zone_policy(connection: &Connection) -> Result<TimePolicy> {
    Ok(TimePolicy::parse(&connection.time_zone, "18:00")?)
}

fn dash(value: &str) -> &str {
    if value.is_empty() { "-" } else { value }
}

fn nonzero(value: u64) -> String {
    if value == 0 { String::new() } else { value.to_string() }
}

#[cfg(test)]
mod tests {
    use fengqiao_core::case;

    use super::*;

    #[test]
    fn dispute_refs() {
        let r = parse_dispute_ref("1101010010@2026-05-01#d1").unwrap();
        assert_eq!(
            (r.unit_id.as_str(), r.date.as_str(), r.local_id.as_str()),
            ("1101010010", "2026-05-01", "d1")
        );
        assert_eq!(dispute_ref_text(&r), "1101010010@2026-05-01#d1");
        // `@` in the unit and `#` in the local id do not confuse the split.
        let r = parse_dispute_ref("a@b@2026-05-01#x#2").unwrap();
        assert_eq!((r.unit_id.as_str(), r.local_id.as_str()), ("a@b", "x#2"));
        assert!(parse_dispute_ref("u@2026-02-30#d1").unwrap_err().contains("not a date"));
        assert!(parse_dispute_ref("@2026-05-01#d1").unwrap_err().contains("no unit"));
        assert!(parse_dispute_ref("u@2026-05-01#").unwrap_err().contains("no dispute"));
        assert!(parse_dispute_ref("u#d1").is_err());
        assert!(parse_dispute_ref("u@2026-5-1#d1").is_err());
        let r = parse_dispute_ref("410411001001@yesterday#d1").unwrap();
        assert_eq!(
            (r.unit_id.as_str(), r.date.as_str(), r.local_id.as_str()),
            ("410411001001", "yesterday", "d1")
        );
    }

    #[test]
    fn names_are_the_domain_names() {
        let status: Vec<&str> = case::CaseStatus::ALL.iter().map(|s| s.as_str()).collect();
        assert_eq!(names::<pb::CaseStatus>(), status);
        let channels: Vec<&str> = case::Channel::ALL.iter().map(|s| s.as_str()).collect();
        assert_eq!(names::<pb::CaseChannel>(), channels);
        let satisfaction: Vec<&str> = case::Satisfaction::ALL.iter().map(|s| s.as_str()).collect();
        assert_eq!(names::<pb::Satisfaction>(), satisfaction);
        let kinds: Vec<&str> = case::SupervisionKind::ALL.iter().map(|s| s.as_str()).collect();
        assert_eq!(names::<pb::SupervisionKind>(), kinds);
        let decisions: Vec<&str> = case::ReviewDecision::ALL.iter().map(|s| s.as_str()).collect();
        assert_eq!(names::<pb::ReviewDecision>(), decisions);
    }

    #[test]
    fn enum_flags() {
        assert_eq!(parse_name::<pb::CaseStatus>("in_progress"), Ok(pb::CaseStatus::InProgress));
        assert_eq!(parse_name::<pb::CaseStatus>("In-Progress"), Ok(pb::CaseStatus::InProgress));
        assert_eq!(parse_name::<pb::SupervisionKind>("on_site"), Ok(pb::SupervisionKind::OnSite));
        assert_eq!(parse_name::<pb::CaseChannel>("letter"), Ok(pb::CaseChannel::Letter));
        let error = parse_name::<pb::CaseStatus>("unspecified").unwrap_err();
        assert!(error.contains("one of registered, not_accepted"), "{error}");
        assert!(parse_name::<pb::Satisfaction>("happy").unwrap_err().starts_with("unknown satisfaction"));
        assert_eq!(enum_name::<pb::CaseStatus>(5), "in_progress");
        assert_eq!(enum_name::<pb::CaseStatus>(99), "99");
        assert_eq!(enum_json::<pb::Satisfaction>(0), Value::Null);
        assert_eq!(parse_category("wage_arrears"), Ok(pb::DisputeCategory::WageArrears));
        assert!(parse_category("weather").is_err());
    }

    #[test]
    fn yuan_amounts() {
        assert_eq!(parse_yuan("36000"), Ok(3_600_000));
        assert_eq!(parse_yuan("120.5"), Ok(12_050));
        assert_eq!(parse_yuan("0.07"), Ok(7));
        assert!(parse_yuan("-3").is_err());
        assert!(parse_yuan("1.234").is_err());
        assert!(parse_yuan("1.x").is_err());
        assert!(parse_yuan("99999999999999999999").is_err());
    }

    #[test]
    fn overdue_days_and_repeat_cells() {
        let on = NaiveDate::from_ymd_opt(2026, 5, 10).unwrap();
        assert_eq!(days_overdue("2026-05-01", on), 9);
        assert_eq!(days_overdue("2026-05-10", on), 0);
        assert_eq!(days_overdue("2026-06-01", on), 0);
        assert_eq!(days_overdue("", on), 0);
        let repeat = |ids: &[&str]| pb::RepeatLink {
            of_case_ids: ids.iter().map(|s| s.to_string()).collect(),
            ..Default::default()
        };
        assert_eq!(repeat_cell(&repeat(&[])), "");
        assert_eq!(repeat_cell(&repeat(&["c2"])), "of c2");
        assert_eq!(repeat_cell(&repeat(&["c3", "c2", "c1"])), "of c3 +2");
    }

    #[test]
    fn roster_ranges() {
        let day = |d: u32| NaiveDate::from_ymd_opt(2026, 5, d).unwrap();
        assert_eq!(days_of(day(1), day(3), "--from", "--to").unwrap(), vec![day(1), day(2), day(3)]);
        assert_eq!(days_of(day(4), day(4), "--from", "--to").unwrap().len(), 1);
        assert!(days_of(day(4), day(3), "--from", "--to").unwrap_err().to_string().contains("before"));
        let far = NaiveDate::from_ymd_opt(2027, 5, 2).unwrap();
        assert_eq!(days_of(day(1), far.pred_opt().unwrap(), "--from", "--to").unwrap().len(), 366);
        assert!(days_of(day(1), far, "--from", "--to").is_err());
    }

    #[test]
    fn plurals() {
        assert_eq!(tr!("count-cases", count = 1), "1 case");
        assert_eq!(tr!("count-cases", count = 0), "0 cases");
        assert_eq!(tr!("case-events-footer", count = 7, newest = 7), "7 events; the newest is 7");
        assert_eq!(tr!("case-events-footer", count = 1, newest = 1), "1 event; the newest is 1");
    }

    #[test]
    fn actors() {
        // Nothing invented: without --actor the request names nobody and the
        // node takes the certificate's identity.
        let none = ActorArgs::default();
        assert_eq!((none.actor(), none.on_behalf_of()), (String::new(), None));
        let given = ActorArgs {
            actor: Some("alice".into()),
            on_behalf_of: Some("lead-1".into()),
            on_behalf_of_name: Some("王书记".into()),
        };
        assert_eq!(given.actor(), "alice");
        assert_eq!(
            given.on_behalf_of(),
            Some(pb::OnBehalfOf { person_id: "lead-1".into(), display_name: "王书记".into() })
        );
    }

    #[test]
    fn event_text() {
        let event = pb::CaseEvent {
            case_id: "c1".into(),
            sequence: 3,
            on: "2026-05-02".into(),
            unit_id: "110101".into(),
            actor: "alice".into(),
            note: "met both sides".into(),
            kind: Some(Kind::Extended(pb::case_event::Extended {
                days: 30,
                reason: "expert opinion".into(),
                deadline: "2026-07-31".into(),
            })),
            ..Default::default()
        };
        // A one-word actor alone (an older node's event) is unverified text.
        assert_eq!(
            event_line(&event),
            "event 3 (2026-05-02, unit 110101, alice (unverified)): extended — +30 days to 2026-07-31; \
             reason: expert opinion; note: met both sides"
        );
        let value = event_json(&event, &chrono_tz::Asia::Shanghai);
        assert_eq!(value["kind"], "extended");
        assert_eq!(value["details"]["days"], 30);
        assert_eq!(value["at"], Value::Null);
        assert_eq!(value["actor"], json!({"kind": "unverified", "text": "alice"}));
        // The certificate's identity and display name, and whom it acted for.
        let event = pb::CaseEvent {
            acted_by: Some(pb::Actor {
                kind: Some(pb::actor::Kind::Person(pb::PersonActor {
                    unit_id: "110101".into(),
                    role: pb::Role::Officer.into(),
                    person_id: "off-3".into(),
                    display_name: "李干事".into(),
                    on_behalf_of: Some(pb::OnBehalfOf {
                        person_id: "lead-1".into(),
                        display_name: "王书记".into(),
                    }),
                })),
            }),
            ..event
        };
        assert!(
            event_line(&event).starts_with(
                "event 3 (2026-05-02, unit 110101, officer off-3 at 110101 (李干事) on behalf of lead-1 (王书记)):"
            ),
            "{}",
            event_line(&event)
        );
        assert_eq!(
            event_json(&event, &chrono_tz::Asia::Shanghai)["actor"],
            json!({
                "kind": "person", "unit": "110101", "role": "officer", "id": "off-3", "name": "李干事",
                "on_behalf_of": {"id": "lead-1", "name": "王书记"}
            })
        );
    }
}
