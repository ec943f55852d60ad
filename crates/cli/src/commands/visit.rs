//! `fengqiao visit`: record a duty-reception visit, answered on the spot or
//! registered as a case.

use anyhow::Result;
use fengqiao_core::read::CaseRecord;
use fengqiao_proto::pb;
use serde::Serialize;

use crate::commands::case::ActorArgs;
use crate::commands::case::names::parse_name;
use crate::commands::case::register::{PetitionerArgs, print_repeat_and_standing};
use crate::commands::report::parse_category;
use crate::connection::{Connection, refused};
use crate::tr;

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
    let zone = args.connection.zone_policy()?.zone;
    let answer = args.connection.cases().await?.record_visit(request).await.map_err(refused)?.into_inner();
    let case = fengqiao_proto::required_at::<_, CaseRecord>(answer.case, "case")?.in_zone(zone);
    if args.json {
        /// `visit --json`: the case and the leader on duty that day, if any.
        #[derive(Serialize)]
        struct Visited<'a> {
            case: &'a CaseRecord,
            leader_on_duty: Option<&'a str>,
            /// The receipt, when the visit's case was created now (shown once).
            #[serde(skip_serializing_if = "Option::is_none")]
            receipt: Option<crate::commands::case::receipt::ReceiptJson<'a>>,
        }
        let leader_on_duty = Some(answer.leader_on_duty.as_str()).filter(|leader| !leader.is_empty());
        let receipt = answer.receipt.as_ref().map(crate::commands::case::receipt::ReceiptJson::from);
        println!("{}", serde_json::to_string(&Visited { case: &case, leader_on_duty, receipt })?);
        return Ok(());
    }
    let how = if args.answered { tr!("visit-answered") } else { tr!("visit-registered") };
    println!("{}", tr!("visit-recorded", unit = &args.unit, how = how, case = case.case_id.to_string()));
    if answer.leader_on_duty.is_empty() {
        println!("{}", tr!("visit-no-leader", date = case.registered_on.to_string()));
    } else {
        println!("{}", tr!("visit-leader", leader = &answer.leader_on_duty));
    }
    print_repeat_and_standing(&case);
    if let Some(receipt) = &answer.receipt {
        println!("{}", crate::commands::case::receipt::receipt_box(receipt));
    }
    Ok(())
}
