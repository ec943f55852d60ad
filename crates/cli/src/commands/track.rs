//! `fengqiao track`: the petitioner's view of a case on a node's public
//! tracker (阳光信访), for testing the public listener: the case number and
//! the receipt's query code; `--rate` gives the petitioner's rating once
//! the case is resolved. Talks plain HTTP/2 to `public.listen` (no
//! certificates: the public listener asks for none).

use anyhow::{Context, Result};
use fengqiao_proto::pb;
use fengqiao_proto::pb::public_tracker_service_client::PublicTrackerServiceClient;
use tonic::transport::Channel;

use crate::commands::case::names::parse_name;
use crate::connection::refused;
use crate::tr;

#[derive(Debug, clap::Args)]
pub struct TrackArgs {
    /// The case number on the receipt.
    #[arg(long = "case", value_name = "CASE_ID")]
    pub case_id: String,
    /// The query code on the receipt (dashes, spaces and lower case are fine).
    #[arg(long)]
    pub code: String,
    /// Rate the handling as the petitioner: satisfied or dissatisfied (once, when resolved).
    #[arg(long, value_parser = parse_name::<pb::Satisfaction>)]
    pub rate: Option<pb::Satisfaction>,
    /// The node's public listener (`public.listen`), e.g. http://127.0.0.1:7500.
    #[arg(long, value_name = "ADDRESS", env = "FENGQIAO_PUBLIC", default_value = "http://127.0.0.1:7500")]
    pub public: String,
    /// Print the answer as JSON.
    #[arg(long)]
    pub json: bool,
}

/// `fengqiao track`.
pub async fn track(args: TrackArgs) -> Result<()> {
    let address =
        if args.public.contains("://") { args.public.clone() } else { format!("http://{}", args.public) };
    let channel = Channel::from_shared(address.clone())
        .with_context(|| tr!("error-server-not-a-url", server = format!("{address:?}")))?
        .connect_lazy();
    let mut client = PublicTrackerServiceClient::new(channel);
    if let Some(satisfaction) = args.rate {
        let request = pb::RateCaseRequest {
            case_id: args.case_id.clone(),
            query_code: args.code.clone(),
            satisfaction: satisfaction.into(),
        };
        let answer = client.rate_case(request).await.map_err(refused)?.into_inner();
        if !args.json {
            println!("{}", if answer.recorded { tr!("track-rated") } else { tr!("track-rating-on-its-way") });
        }
    }
    let request = pb::TrackCaseRequest { case_id: args.case_id.clone(), query_code: args.code.clone() };
    let view = client.track_case(request).await.map_err(refused)?.into_inner();
    if args.json {
        println!("{}", serde_json::to_string(&json(&view))?);
        return Ok(());
    }
    print!("{}", render(&view));
    Ok(())
}

fn json(view: &pb::TrackCaseResponse) -> serde_json::Value {
    let name = |value: &str| value.to_ascii_lowercase();
    serde_json::json!({
        "case_id": view.case_id,
        "status": name(view.status().as_str_name().trim_start_matches("CASE_STATUS_")),
        "category": name(view.category().as_str_name().trim_start_matches("DISPUTE_CATEGORY_")),
        "registered_on": view.registered_on,
        "accept_by": view.accept_by,
        "accepted_on": view.accepted_on,
        "deadline": view.deadline,
        "resolved_on": view.resolved_on,
        "closed_on": view.closed_on,
        "office": view.office,
        "tier": name(view.tier().as_str_name().trim_start_matches("TIER_")),
        "department": view.department,
        "replies": view.replies.iter().map(|r| serde_json::json!({"on": r.on, "office": r.office, "text": r.text})).collect::<Vec<_>>(),
        "can_rate": view.can_rate,
        "rating": name(view.rating().as_str_name().trim_start_matches("SATISFACTION_")),
    })
}

/// The petitioner's view, a line a field.
fn render(view: &pb::TrackCaseResponse) -> String {
    let lower = |value: &str, prefix: &str| value.trim_start_matches(prefix).to_ascii_lowercase();
    let mut out = format!(
        "{} {}\n",
        view.case_id,
        crate::i18n::name("status", &lower(view.status().as_str_name(), "CASE_STATUS_"))
    );
    let mut line = |key: &str, value: String| {
        if !value.is_empty() {
            out.push_str(&format!("  {}: {value}\n", crate::i18n::text(key)));
        }
    };
    line(
        "track-category",
        crate::i18n::name("category", &lower(view.category().as_str_name(), "DISPUTE_CATEGORY_")),
    );
    let tier = crate::i18n::name("tier", &lower(view.tier().as_str_name(), "TIER_"));
    let mut office = format!("{} ({tier})", view.office);
    if !view.department.is_empty() {
        office = format!("{office} · {}", view.department);
    }
    line("track-office", office);
    line("track-registered-on", view.registered_on.clone());
    line("track-accept-by", if view.accepted_on.is_empty() { view.accept_by.clone() } else { String::new() });
    line("track-accepted-on", view.accepted_on.clone());
    line("track-deadline", if view.resolved_on.is_empty() { view.deadline.clone() } else { String::new() });
    line("track-resolved-on", view.resolved_on.clone());
    line("track-closed-on", view.closed_on.clone());
    if view.rating() != pb::Satisfaction::Unspecified {
        line(
            "track-rating",
            crate::i18n::name("satisfaction", &lower(view.rating().as_str_name(), "SATISFACTION_")),
        );
    }
    out.push_str(&format!("  {}:\n", crate::i18n::text("track-replies")));
    if view.replies.is_empty() {
        out.push_str(&format!("    {}\n", crate::i18n::text("track-no-replies")));
    }
    for reply in &view.replies {
        out.push_str(&format!("    {} {}: {}\n", reply.on, reply.office, reply.text));
    }
    if view.can_rate {
        out.push_str(&format!("  {}\n", crate::i18n::text("track-can-rate")));
    }
    out
}
