//! `fengqiao status` (a node's identity, parent and outbox) and `fengqiao
//! health` (its gRPC health, for probes and scripts).

use anyhow::{Result, anyhow, bail};
use fengqiao_proto::pb::{self};

use crate::connection::{Connection, refused};
use crate::render::time_fmt;
use crate::tr;

#[derive(Debug, clap::Args)]
pub struct StatusArgs {
    #[command(flatten)]
    pub connection: Connection,
    /// Print the answer as JSON.
    #[arg(long)]
    pub json: bool,
}

#[derive(Debug, clap::Args)]
pub struct HealthArgs {
    #[command(flatten)]
    pub connection: Connection,
    /// The service to ask about (`fengqiao.v1.ReportingService`, …); the node as a whole when empty.
    #[arg(long, default_value = "")]
    pub service: String,
    /// Give up after this many seconds (a probe must not hang).
    #[arg(long, default_value_t = 5, value_parser = clap::value_parser!(u64).range(1..=300))]
    pub timeout_secs: u64,
    /// Ask again until the node answers SERVING or --timeout-secs has passed (a node just
    /// started in the background, in a script).
    #[arg(long)]
    pub wait: bool,
}

/// `fengqiao health`: `grpc.health.v1.Health/Check`, printed; exits
/// non-zero unless SERVING (a draining node, one whose database does not
/// answer, an unknown service), so probes can run it with the node's own
/// certificate.
pub async fn health(args: HealthArgs) -> Result<()> {
    use tonic_health::pb::health_check_response::ServingStatus;
    let what = if args.service.is_empty() { tr!("health-the-node") } else { args.service.clone() };
    let ask = || async {
        let channel = args.connection.channel().await?;
        let answer = tonic_health::pb::health_client::HealthClient::new(channel)
            .check(tonic_health::pb::HealthCheckRequest { service: args.service.clone() })
            .await
            .map_err(refused)?;
        anyhow::Ok(answer.into_inner().status)
    };
    let deadline = tokio::time::Instant::now() + std::time::Duration::from_secs(args.timeout_secs);
    let status = loop {
        let answer = tokio::time::timeout_at(deadline, ask()).await.map_err(|_| {
            anyhow!(tr!(
                "error-no-answer-within",
                server = &args.connection.server,
                seconds = args.timeout_secs
            ))
        })?;
        let again = args.wait
            && !matches!(answer, Ok(status) if status == ServingStatus::Serving as i32)
            && tokio::time::Instant::now() + std::time::Duration::from_millis(200) < deadline;
        if !again {
            break answer?;
        }
        tokio::time::sleep(std::time::Duration::from_millis(200)).await;
    };
    let name = ServingStatus::try_from(status).map(|s| s.as_str_name()).unwrap_or("UNKNOWN");
    println!("{name}");
    if status != ServingStatus::Serving as i32 {
        bail!(tr!("error-health-not-serving", what = what, status = name));
    }
    Ok(())
}

/// `fengqiao status`: the node's identity, parent and outbox.
pub async fn status(args: StatusArgs) -> Result<()> {
    let channel = args.connection.channel().await?;
    let status = fengqiao_proto::pb::node_service_client::NodeServiceClient::new(channel)
        .get_node_status(pb::GetNodeStatusRequest {})
        .await
        .map_err(refused)?
        .into_inner();
    let zone = args.connection.zone_policy()?.zone;
    let time = |t: Option<prost_types::Timestamp>| time_fmt::wire_for_machines(t, &zone);
    if args.json {
        let value = serde_json::json!({
            "home_unit_id": status.home_unit_id, "served_units": status.served_units,
            "parent_address": status.parent_address, "outbox_depth": status.outbox_depth,
            "outbox_oldest": time(status.outbox_oldest), "last_forwarded_at": time(status.last_forwarded_at),
            "last_forward_error": status.last_forward_error, "commit_queue": status.commit_queue,
            "downlink_cursor": status.downlink_cursor,
            "reporting_start_date": crate::render::empty_null(&status.reporting_start_date),
            "set_aside_count": status.set_aside_count,
            "set_aside": status.set_aside.iter().map(|item| serde_json::json!({
                "kind": item.kind, "key": item.key, "date": item.date, "revision": item.revision,
                "reason": item.reason, "set_aside_at": time(item.set_aside_at),
            })).collect::<Vec<_>>(),
        });
        println!("{value}");
        return Ok(());
    }
    let time = |t: Option<prost_types::Timestamp>| time_fmt::wire_for_people(t, &zone);
    let home = crate::commands::units::names_of_top(&args.connection).await.unwrap_or_default();
    let line = |label: String, value: String| println!("{}{value}", crate::render::table::pad(&label, 18));
    line(
        tr!("status-node-of-unit"),
        tr!(
            "status-node-of-unit-value",
            unit = &status.home_unit_id,
            name = home.name(&status.home_unit_id),
            count = status.served_units
        ),
    );
    line(
        tr!("status-parent"),
        if status.parent_address.is_empty() {
            tr!("status-no-parent")
        } else {
            status.parent_address.clone()
        },
    );
    line(
        tr!("status-outbox"),
        tr!(
            "status-outbox-value",
            count = status.outbox_depth,
            oldest = time(status.outbox_oldest).unwrap_or_else(|| "-".into())
        ),
    );
    line(
        tr!("status-last-forwarded"),
        time(status.last_forwarded_at).unwrap_or_else(|| tr!("freshness-never")),
    );
    if !status.last_forward_error.is_empty() {
        line(tr!("status-last-error"), status.last_forward_error.clone());
    }
    line(tr!("status-commit-queue"), status.commit_queue.to_string());
    line(tr!("status-downlink-cursor"), status.downlink_cursor.to_string());
    line(
        tr!("status-reporting-since"),
        if status.reporting_start_date.is_empty() {
            tr!("status-no-start-date")
        } else {
            status.reporting_start_date.clone()
        },
    );
    if status.set_aside_count > 0 {
        line(tr!("status-set-aside"), tr!("status-set-aside-value", count = status.set_aside_count));
        let mut table = crate::render::table::new(crate::i18n::headings([
            "kind",
            "unit-or-case",
            "date",
            "revision",
            "set-aside-at",
            "parents-reason",
        ]));
        for item in &status.set_aside {
            table.add_row([
                crate::i18n::name("set-aside", &item.kind),
                item.key.clone(),
                item.date.clone(),
                item.revision.to_string(),
                time(item.set_aside_at).unwrap_or_default(),
                item.reason.clone(),
            ]);
        }
        println!("{table}");
    }
    Ok(())
}
