//! `fengqiao case register`: register a case (立案) at a unit the node
//! serves, with its petitioner, and show what the node answered (a repeat
//! petition, the deadlines).

use anyhow::{Result, bail};
use fengqiao_core::read::CaseRecord;
use fengqiao_proto::pb;
use serde::Serialize;

use super::ActorArgs;
use crate::commands::case::names::{name_of, parse_dispute_ref, parse_name};
use crate::commands::case::render::{repeat_text, standing};
use crate::commands::report::{parse_category, parse_yuan};
use crate::connection::{Connection, refused};
use crate::tr;

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
    /// The key project (重点项目) the case belongs to (its id, see `contact project list`).
    #[arg(long)]
    pub project: Option<String>,
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
    pub(crate) fn petitioner(&self) -> Option<pb::Petitioner> {
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
        project_id: args.project.clone().unwrap_or_default(),
    };
    let request = pb::RegisterCaseRequest {
        case_id: args.case_id.clone().unwrap_or_default(),
        intake: Some(intake),
        petitioner: args.petitioner.petitioner(),
        actor: args.who.actor(),
        note: args.note.clone(),
        on_behalf_of: args.who.on_behalf_of(),
    };
    let zone = args.connection.zone_policy()?.zone;
    let answer = args.connection.cases().await?.register_case(request).await.map_err(refused)?.into_inner();
    let case = fengqiao_proto::required_at::<_, CaseRecord>(answer.case, "case")?.in_zone(zone);
    if args.json {
        /// `case register --json`: the case and whether this call created it.
        #[derive(Serialize)]
        struct Registered<'a> {
            case: &'a CaseRecord,
            created: bool,
            /// The receipt, when the case was created now (shown once).
            #[serde(skip_serializing_if = "Option::is_none")]
            receipt: Option<super::receipt::ReceiptJson<'a>>,
        }
        let receipt = answer.receipt.as_ref().map(super::receipt::ReceiptJson::from);
        println!("{}", serde_json::to_string(&Registered { case: &case, created: answer.created, receipt })?);
        return Ok(());
    }
    let intake = &case.intake;
    if answer.created {
        println!(
            "{}",
            tr!(
                "case-registered",
                case = case.case_id.to_string(),
                unit = intake.origin_unit_id.to_string(),
                channel = crate::i18n::name("channel", intake.channel.as_str()),
                category = crate::i18n::name("category", intake.category.as_str()),
                accept_by = case.accept_by.to_string()
            )
        );
    } else {
        println!("{}", tr!("case-registered-before", case = case.case_id.to_string()));
    }
    print_repeat_and_standing(&case);
    if let Some(receipt) = &answer.receipt {
        println!("{}", super::receipt::receipt_box(receipt));
    }
    Ok(())
}

/// A new case's repeat link (when it is one) and where it stands.
pub(crate) fn print_repeat_and_standing(case: &CaseRecord) {
    if let Some(repeat) = case.repeat.as_ref().filter(|r| !r.of_case_ids.is_empty()) {
        println!("{}", tr!("case-repeat-petition", repeat = repeat_text(repeat)));
    }
    println!("{}", standing(case));
}
