//! `fengqiao supervise`: issue a supervision notice (督办) on a case owned
//! below the node.

use anyhow::Result;
use fengqiao_proto::pb;
use serde::Serialize;

use crate::commands::case::ActorArgs;
use crate::commands::case::names::{name_of, parse_name};
use crate::connection::{Connection, refused};
use crate::tr;

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
        /// `supervise --json`: the notice issued and the unit it went to.
        #[derive(Serialize)]
        struct Issued<'a> {
            case_id: &'a str,
            supervision_id: &'a str,
            owner_unit_id: &'a str,
            kind: String,
            reply_by: &'a str,
        }
        let issued = Issued {
            case_id: &args.case_id,
            supervision_id: &answer.supervision_id,
            owner_unit_id: &answer.owner_unit_id,
            kind: name_of(args.kind),
            reply_by: &reply_by,
        };
        println!("{}", serde_json::to_string(&issued)?);
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
