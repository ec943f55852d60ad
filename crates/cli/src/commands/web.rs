//! `fengqiao web link`: a login link to a node's web dashboard, issued on
//! the node's host. It opens the node's database (the one its
//! configuration names), stores the SHA-256 of a fresh random token for the
//! person, role and unit given, and prints `http(s)://<web.listen>/login?token=…`;
//! the link works once, until it expires (15 minutes by default). Who may
//! run this is whoever may read the node's configuration and database: the
//! host's operator, as with a notebook server's token.

use std::path::PathBuf;

use anyhow::{Context, Result, anyhow, bail};
use chrono::Duration;
use fengqiao_core::UnitId;
use fengqiao_core::identity::Role;

use crate::commands::config::ConfigArgs;
use crate::tr;

#[derive(Debug, clap::Subcommand)]
pub enum WebCommand {
    /// Issue a single-use login link for a person (run on the node's host).
    Link(LinkArgs),
}

#[derive(Debug, clap::Args)]
pub struct LinkArgs {
    /// The node's configuration file (web.listen, database.url, tls.*), as `fengqiao node --config` reads it;
    /// FENGQIAO__… variables apply too.
    #[arg(long)]
    pub config: Option<PathBuf>,
    /// The unit the person works at (the link's identity, as a certificate's would be).
    #[arg(long)]
    pub unit: String,
    /// The person's id (as in a certificate: letters, digits, `-`, `_`, `.`).
    #[arg(long)]
    pub person: String,
    /// The person's role: reporter, officer, leader, admin or auditor.
    #[arg(long)]
    pub role: String,
    /// Minutes the link stays valid (1 to 1440).
    #[arg(long, default_value_t = 15)]
    pub minutes: i64,
}

pub async fn run(command: WebCommand) -> Result<()> {
    match command {
        WebCommand::Link(args) => link(args).await,
    }
}

async fn link(args: LinkArgs) -> Result<()> {
    if !(1..=1440).contains(&args.minutes) {
        bail!("--minutes: must be between 1 and 1440");
    }
    let role = Role::parse(&args.role).ok_or_else(|| {
        anyhow!("--role: expected reporter, officer, leader, admin or auditor, got {:?}", args.role)
    })?;
    let unit = UnitId::parse(&args.unit).map_err(|e| anyhow!("--unit: {e}"))?;
    let loaded =
        crate::commands::config::load(&ConfigArgs { config: args.config.clone(), ..ConfigArgs::default() })?;
    let config = &loaded.config;
    let Some(listen) = &config.web.listen else { bail!(tr!("web-link-no-listen")) };
    let scheme = if config.tls.insecure { "http" } else { "https" };
    let db = loaded.database_url();
    let store = fengqiao_store::connect(&db)
        .await
        .with_context(|| format!("database.url: cannot open {}", crate::commands::config::redact_url(&db)))?;
    let link = fengqiao_node::web::auth::issue_login_link(
        store.as_ref(),
        &unit,
        &args.person,
        role,
        chrono::Utc::now(),
        Duration::minutes(args.minutes),
    )
    .await
    .map_err(|e| anyhow!("{e}"))?;
    store.close().await;
    let expires = link.expires_at.with_timezone(&loaded.time().zone).format("%Y-%m-%d %H:%M:%S").to_string();
    eprintln!("{}", tr!("web-link-issued", expires = expires));
    println!("{}", link.url(scheme, listen));
    Ok(())
}
