//! `fengqiao notice` (issue a notice to a unit below the node) and
//! `fengqiao notices` (the notices a node holds for a unit).

use anyhow::Result;
use fengqiao_proto::pb::{self};

use crate::connection::{Connection, out, refused};
use crate::render::time_fmt;
use crate::tr;

#[derive(Debug, clap::Args)]
pub struct NoticeArgs {
    #[command(flatten)]
    pub connection: Connection,
    /// The unit the notice is for (below the node's home unit).
    #[arg(long)]
    pub unit: String,
    /// The notice (no names, phone numbers or ID numbers).
    #[arg(long)]
    pub text: String,
}

/// `fengqiao notice`: issue a notice down the tree.
pub async fn notice(args: NoticeArgs) -> Result<()> {
    let channel = args.connection.channel().await?;
    let answer = fengqiao_proto::pb::node_service_client::NodeServiceClient::new(channel)
        .post_notice(pb::PostNoticeRequest { target_unit_id: args.unit.clone(), text: args.text })
        .await
        .map_err(refused)?
        .into_inner();
    println!("{}", tr!("notice-issued", notice = &answer.notice_id, unit = &args.unit));
    Ok(())
}

#[derive(Debug, clap::Args)]
pub struct NoticesArgs {
    #[command(flatten)]
    pub connection: Connection,
    /// A unit the node serves.
    #[arg(long)]
    pub unit: String,
}

/// `fengqiao notices`: the notices a node holds for a unit, page by page.
pub async fn notices(args: NoticesArgs) -> Result<()> {
    let channel = args.connection.channel().await?;
    let mut client = fengqiao_proto::pb::node_service_client::NodeServiceClient::new(channel)
        .max_decoding_message_size(fengqiao_proto::CLIENT_MAX_DECODING_BYTES);
    let zone = args.connection.zone_policy()?.zone;
    // Notices come from units above: the node's whole tree names them.
    let names = crate::commands::units::names_of_subtree(&args.connection, "").await?;
    let mut page_token = String::new();
    let mut count = 0;
    loop {
        let request = pb::ListNoticesRequest { unit_id: args.unit.clone(), page_size: 1000, page_token };
        let page = client.list_notices(request).await.map_err(refused)?.into_inner();
        for received in &page.notices {
            let Some(notice) = &received.notice else { continue };
            count += 1;
            let at = time_fmt::wire_for_people(received.created_at, &zone).unwrap_or_default();
            let from = format!("{} {}", notice.from_unit_id, names.name(&notice.from_unit_id));
            let line = tr!(
                "notice-line",
                at = at,
                from = from.trim_end(),
                notice = &notice.notice_id,
                text = &notice.text
            );
            if !out(line)? {
                return Ok(());
            }
        }
        if page.next_page_token.is_empty() {
            break;
        }
        page_token = page.next_page_token;
    }
    println!("{}", tr!("notices-footer", count = count, unit = &args.unit));
    Ok(())
}
