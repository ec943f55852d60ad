//! `fengqiao case …`: the case ledger over `fengqiao.v1.CaseService` —
//! register a case and move it through its life (accept or decline, assign,
//! record progress, extend, escalate, transfer down, resolve, close, reopen,
//! review, reply to supervision), show one case, list a subtree's ledger.
//! Here: the subcommands, the flags every action shares and the actions
//! themselves; `register`, `show` and `list` have modules of their own, and
//! [`render`] shows cases for these and the other case-ledger commands
//! (`roster`, `visit`, `supervise`, `drill`).

pub mod departments;
pub mod list;
pub mod names;
pub mod receipt;
pub mod register;
pub mod render;
pub mod show;

use anyhow::{Result, anyhow, bail};
use fengqiao_core::read::{CaseRecord, EventRecord};
use fengqiao_proto::pb;
use fengqiao_proto::pb::act_on_case_request::{self as act, Action};
use serde::Serialize;

use crate::commands::case::names::parse_name;
use crate::commands::case::render::{event_line, standing};
use crate::commands::report::parse_yuan;
use crate::connection::{Connection, refused};
use crate::tr;

use self::list::{ListArgs, list};
use self::register::{RegisterArgs, register};
use self::show::{ShowArgs, show};

#[derive(Debug, clap::Subcommand)]
pub enum CaseCommand {
    /// Register a case (立案) at a unit the node serves.
    Register(RegisterArgs),
    /// Accept a registered case (受理): the handling deadline starts.
    Accept(On<AcceptArgs>),
    /// Decline a registered case (不予受理), with the reason.
    Decline(On<DeclineArgs>),
    /// Assign a case (包案): leader, responsible person, plan (一案一策), deadline.
    Assign(On<AssignArgs>),
    /// Record progress on an assigned case (the note says what was done).
    #[command(mut_arg("note", |note| required_note(note, "What progress was made")))]
    Progress(On<ProgressArgs>),
    /// Extend a case's deadline once (延期), with the reason.
    Extend(On<ExtendArgs>),
    /// Escalate a case to the tier above (上报); it passes to that tier's node.
    Escalate(On<EscalateArgs>),
    /// Assign a case down (交办) to a unit below its owner.
    Transfer(On<TransferArgs>),
    /// Resolve a case (化解), with the resolution and any amount recovered.
    Resolve(On<ResolveArgs>),
    /// Close a resolved case (销号) with the petitioner's satisfaction.
    Close(On<CloseArgs>),
    /// Reopen a closed case the petitioner was dissatisfied with.
    Reopen(On<ReopenArgs>),
    /// Request a review (复查/复核) of a closed case (--reason), or decide one held here (--decide).
    Review(On<ReviewArgs>),
    /// Reply to a supervision notice (督办) on a case (the note is the reply).
    #[command(mut_arg("note", |note| required_note(note, "The reply: what was done")))]
    Reply(On<ReplyArgs>),
    /// Reply to the petitioner (答复): public, shown on the public tracker.
    PublicReply(On<PublicReplyArgs>),
    /// Issue a new receipt (回执) for a case: a new query code, shown once; the old one stops working.
    Receipt(On<ReceiptArgs>),
    /// Transfer a case (转办) to a department of its owner unit, which then holds it.
    TransferDept(On<departments::TransferDeptArgs>),
    /// Assign a case (交办) to a department of its owner unit, which reports back by a date.
    AssignDept(On<departments::AssignDeptArgs>),
    /// A department's report back on a case assigned to it.
    ReportBack(On<departments::ReportBackArgs>),
    /// Set a case's special working group (专门工作组): a lead who answers for it and members
    /// from several units or departments (leaders of the owner unit).
    Group(On<GroupArgs>),
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
        C::Accept(a) => a.send().await,
        C::Decline(a) => a.send().await,
        C::Assign(a) => a.send().await,
        C::Progress(a) => a.send().await,
        C::Extend(a) => a.send().await,
        C::Escalate(a) => a.send().await,
        C::Transfer(a) => a.send().await,
        C::Resolve(a) => a.send().await,
        C::Close(a) => a.send().await,
        C::Reopen(a) => a.send().await,
        C::Review(a) => a.send().await,
        C::Reply(a) => a.send().await,
        C::PublicReply(a) => a.send().await,
        C::Receipt(a) => a.send().await,
        C::TransferDept(a) => a.send().await,
        C::AssignDept(a) => a.send().await,
        C::ReportBack(a) => a.send().await,
        C::Group(a) => a.send().await,
    }
}

/// The `--note` of an action that must say something (progress, a reply):
/// required, with its own help, instead of an optional note for the log.
fn required_note(note: clap::Arg, help: &'static str) -> clap::Arg {
    note.required(true).default_value(None::<&'static str>).help(help)
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
    pub(crate) fn actor(&self) -> String {
        self.actor.clone().unwrap_or_default()
    }

    /// The request's `on_behalf_of`.
    pub(crate) fn on_behalf_of(&self) -> Option<pb::OnBehalfOf> {
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

/// One action on a case: the case, the action's own flags `A`, a note for
/// the case log, and what every action takes.
#[derive(Debug, clap::Args)]
pub struct On<A: CaseAction> {
    pub case_id: String,
    #[command(flatten)]
    pub flags: A,
    /// A note for the case log.
    #[arg(long, default_value = "")]
    pub note: String,
    #[command(flatten)]
    pub act: ActArgs,
}

/// The flags of one action, and the action they make.
pub trait CaseAction: clap::Args {
    /// The request's action; `note` is the note for the case log.
    fn action(self, connection: &Connection, note: &str) -> Result<Action>;
}

#[derive(Debug, clap::Args)]
pub struct AcceptArgs {}

impl CaseAction for AcceptArgs {
    fn action(self, _: &Connection, _: &str) -> Result<Action> {
        Ok(Action::Accept(act::Accept {}))
    }
}

#[derive(Debug, clap::Args)]
pub struct DeclineArgs {
    /// Why the case is not accepted (不予受理).
    #[arg(long)]
    pub reason: String,
}

impl CaseAction for DeclineArgs {
    fn action(self, _: &Connection, _: &str) -> Result<Action> {
        Ok(Action::Decline(act::Decline { reason: self.reason }))
    }
}

#[derive(Debug, clap::Args)]
pub struct AssignArgs {
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
}

impl CaseAction for AssignArgs {
    fn action(self, connection: &Connection, _: &str) -> Result<Action> {
        let deadline = optional_date(connection, self.deadline.as_deref(), "--deadline")?;
        Ok(Action::Assign(act::Assign {
            leader: self.leader,
            responsible: self.responsible,
            plan: self.plan,
            deadline,
        }))
    }
}

/// Progress has no flags of its own: its `--note` (required) says what was done.
#[derive(Debug, clap::Args)]
pub struct ProgressArgs {}

impl CaseAction for ProgressArgs {
    fn action(self, _: &Connection, note: &str) -> Result<Action> {
        if note.trim().is_empty() {
            bail!(tr!("error-note-progress"));
        }
        Ok(Action::Progress(act::Progress {}))
    }
}

#[derive(Debug, clap::Args)]
pub struct ExtendArgs {
    /// Days added to the deadline (once per case; the regulation allows at most 30).
    #[arg(long, value_parser = clap::value_parser!(u32).range(1..))]
    pub days: u32,
    /// Why the case needs more time.
    #[arg(long)]
    pub reason: String,
}

impl CaseAction for ExtendArgs {
    fn action(self, _: &Connection, _: &str) -> Result<Action> {
        Ok(Action::Extend(act::Extend { days: self.days, reason: self.reason }))
    }
}

#[derive(Debug, clap::Args)]
pub struct EscalateArgs {
    /// Why the tier above must take the case.
    #[arg(long)]
    pub reason: String,
}

impl CaseAction for EscalateArgs {
    fn action(self, _: &Connection, _: &str) -> Result<Action> {
        Ok(Action::Escalate(act::Escalate { reason: self.reason }))
    }
}

#[derive(Debug, clap::Args)]
pub struct TransferArgs {
    /// The unit below the case's owner that takes it (交办).
    #[arg(long, value_name = "UNIT")]
    pub to: String,
    /// YYYY-MM-DD, today or yesterday; not after the case's deadline (the default).
    #[arg(long)]
    pub deadline: Option<String>,
}

impl CaseAction for TransferArgs {
    fn action(self, connection: &Connection, _: &str) -> Result<Action> {
        let deadline = optional_date(connection, self.deadline.as_deref(), "--deadline")?;
        Ok(Action::AssignDown(act::AssignDown { to_unit_id: self.to, deadline }))
    }
}

#[derive(Debug, clap::Args)]
pub struct ResolveArgs {
    /// How the matter was settled (no names, phone numbers or ID numbers).
    #[arg(long)]
    pub resolution: String,
    /// Amount recovered for the petitioners, in yuan (e.g. 36000 or 120.50).
    #[arg(long, value_name = "YUAN", value_parser = parse_yuan)]
    pub recovered: Option<i64>,
}

impl CaseAction for ResolveArgs {
    fn action(self, _: &Connection, _: &str) -> Result<Action> {
        let recovered = self.recovered.unwrap_or(0);
        Ok(Action::Resolve(act::Resolve { resolution: self.resolution, amount_recovered_cents: recovered }))
    }
}

#[derive(Debug, clap::Args)]
pub struct CloseArgs {
    /// What the petitioner said: satisfied, dissatisfied or unreachable.
    #[arg(long, value_parser = parse_name::<pb::Satisfaction>)]
    pub satisfaction: pb::Satisfaction,
}

impl CaseAction for CloseArgs {
    fn action(self, _: &Connection, _: &str) -> Result<Action> {
        Ok(Action::Close(act::Close { satisfaction: self.satisfaction.into() }))
    }
}

#[derive(Debug, clap::Args)]
pub struct ReopenArgs {
    /// Why the case is handled again.
    #[arg(long)]
    pub reason: String,
}

impl CaseAction for ReopenArgs {
    fn action(self, _: &Connection, _: &str) -> Result<Action> {
        Ok(Action::Reopen(act::Reopen { reason: self.reason }))
    }
}

#[derive(Debug, clap::Args)]
#[command(group(clap::ArgGroup::new("review").required(true).args(["reason", "decide"])))]
pub struct ReviewArgs {
    /// Request a review by the tier above: why the petitioner disputes the closure.
    #[arg(long)]
    pub reason: Option<String>,
    /// Decide a review held here: upheld (the closure stands) or overturned (handle it again).
    #[arg(long, value_parser = parse_name::<pb::ReviewDecision>)]
    pub decide: Option<pb::ReviewDecision>,
}

impl CaseAction for ReviewArgs {
    fn action(self, _: &Connection, _: &str) -> Result<Action> {
        Ok(match (self.reason, self.decide) {
            (Some(reason), None) => Action::RequestReview(act::RequestReview { reason }),
            (None, Some(decision)) => Action::DecideReview(act::DecideReview { decision: decision.into() }),
            _ => bail!(tr!("error-reason-or-decide")),
        })
    }
}

/// A reply's `--note` (required) is the reply.
#[derive(Debug, clap::Args)]
pub struct ReplyArgs {
    /// The supervision notice answered (its id, shown by `case show`).
    #[arg(long, value_name = "SUPERVISION_ID")]
    pub supervision: String,
}

impl CaseAction for ReplyArgs {
    fn action(self, _: &Connection, note: &str) -> Result<Action> {
        if note.trim().is_empty() {
            bail!(tr!("error-note-reply"));
        }
        Ok(Action::ReplySupervision(act::ReplySupervision { supervision_id: self.supervision }))
    }
}

#[derive(Debug, clap::Args)]
pub struct PublicReplyArgs {
    /// The reply, written for the petitioner: the public tracker shows it (no names of others, no internal notes).
    #[arg(long)]
    pub text: String,
}

impl CaseAction for PublicReplyArgs {
    fn action(self, _: &Connection, _: &str) -> Result<Action> {
        Ok(Action::ReplyToPetitioner(act::ReplyToPetitioner { text: self.text }))
    }
}

/// A new receipt takes no flags: the node draws the code.
#[derive(Debug, clap::Args)]
pub struct ReceiptArgs {}

impl CaseAction for ReceiptArgs {
    fn action(self, _: &Connection, _: &str) -> Result<Action> {
        Ok(Action::IssueReceipt(act::IssueReceipt {}))
    }
}

#[derive(Debug, clap::Args)]
pub struct GroupArgs {
    /// The lead leader: PERSON@UNIT, or PERSON@UNIT:DEPT for a department's.
    #[arg(long, value_name = "PERSON@UNIT[:DEPT]", value_parser = parse_member)]
    pub lead: pb::WorkingGroupMember,
    /// A member (repeat the flag for each).
    #[arg(long = "member", value_name = "PERSON@UNIT[:DEPT]", value_parser = parse_member)]
    pub members: Vec<pb::WorkingGroupMember>,
}

impl CaseAction for GroupArgs {
    fn action(self, _: &Connection, _: &str) -> Result<Action> {
        Ok(Action::SetWorkingGroup(act::SetWorkingGroup { lead: Some(self.lead), members: self.members }))
    }
}

/// `PERSON@UNIT` or `PERSON@UNIT:DEPT` (the department `UNIT:DEPT`).
fn parse_member(value: &str) -> std::result::Result<pb::WorkingGroupMember, String> {
    let Some((person, place)) = value.split_once('@') else {
        return Err(tr!("error-group-member", value = value));
    };
    let (unit, department_id) = match place.split_once(':') {
        Some((unit, code)) => (unit, format!("{unit}:{code}")),
        None => (place, String::new()),
    };
    if person.is_empty() || unit.is_empty() {
        return Err(tr!("error-group-member", value = value));
    }
    Ok(pb::WorkingGroupMember { person_id: person.to_owned(), unit_id: unit.to_owned(), department_id })
}

impl<A: CaseAction> On<A> {
    /// Sends the action and prints the case as it now stands and the event written.
    async fn send(self) -> Result<()> {
        let On { case_id, flags, note, act: args } = self;
        let action = flags.action(&args.connection, &note)?;
        let request = pb::ActOnCaseRequest {
            case_id,
            expected_sequence: args.expect_seq.unwrap_or(0),
            actor: args.who.actor(),
            note,
            action: Some(action),
            on_behalf_of: args.who.on_behalf_of(),
        };
        let zone = args.connection.zone_policy()?.zone;
        let answer =
            args.connection.cases().await?.act_on_case(request).await.map_err(refused_act)?.into_inner();
        let case = fengqiao_proto::required_at::<_, CaseRecord>(answer.case, "case")?.in_zone(zone);
        let event = fengqiao_proto::required_at::<_, EventRecord>(answer.event, "event")?.in_zone(zone);
        if args.json {
            /// An action's `--json`: the case as it now stands and the event written.
            #[derive(Serialize)]
            struct Acted<'a> {
                case: &'a CaseRecord,
                event: &'a EventRecord,
                #[serde(skip_serializing_if = "Option::is_none")]
                receipt: Option<receipt::ReceiptJson<'a>>,
            }
            let receipt = answer.receipt.as_ref().map(receipt::ReceiptJson::from);
            println!("{}", serde_json::to_string(&Acted { case: &case, event: &event, receipt })?);
            return Ok(());
        }
        println!("{}", event_line(&event));
        println!("{}", standing(&case));
        if let Some(receipt) = &answer.receipt {
            println!("{}", receipt::receipt_box(receipt));
        }
        Ok(())
    }
}

/// A refusal, with what to do when the case moved on since it was read.
fn refused_act(status: tonic::Status) -> anyhow::Error {
    if status.code() == tonic::Code::Aborted {
        anyhow!(tr!("error-case-moved-on", refusal = refused(status).to_string()))
    } else {
        refused(status)
    }
}

#[cfg(test)]
mod tests {

    use super::*;

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
    fn group_members() {
        let member = parse_member("lead-zhang@410411").unwrap();
        assert_eq!((member.person_id.as_str(), member.unit_id.as_str()), ("lead-zhang", "410411"));
        assert!(member.department_id.is_empty());
        let in_department = parse_member("m-hr@410411:hrss").unwrap();
        assert_eq!(in_department.unit_id, "410411");
        assert_eq!(in_department.department_id, "410411:hrss");
        for bad in ["lead-zhang", "@410411", "lead-zhang@", "lead-zhang@:hrss"] {
            assert!(parse_member(bad).is_err(), "{bad}");
        }
    }
}
