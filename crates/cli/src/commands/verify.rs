//! `fengqiao verify`: recompute a database's rollups from its reports and
//! compare (admin; reads the database directly; `--repair` rebuilds).

use std::path::PathBuf;

use anyhow::{Context, Result, anyhow, bail};
use fengqiao_core::TimePolicy;

use crate::tr;

#[derive(Debug, clap::Args)]
pub struct VerifyArgs {
    /// The node's database: sqlite://PATH or postgres://USER@HOST:PORT/DB.
    #[arg(long, env = "FENGQIAO_DB")]
    pub db: String,
    /// A unit tree file to place the reports with, instead of the tree the
    /// database holds (restricted to the database's home unit when it holds one).
    #[arg(long)]
    pub tree: Option<PathBuf>,
    /// The node's time zone (IANA name); must be the node's own.
    #[arg(long, env = "FENGQIAO_TIME_ZONE", default_value = "Asia/Shanghai")]
    pub time_zone: String,
    /// The node's daily cut-off, local time HH:MM; must be the node's own.
    #[arg(long, env = "FENGQIAO_CUTOFF", default_value = "18:00")]
    pub cutoff: String,
    /// When there are differences, rebuild every rollup from the reports
    /// (one transaction) and verify again. On a live node, run once without
    /// it first: a report committed during the check can show as a passing
    /// difference.
    #[arg(long)]
    pub repair: bool,
}

/// `fengqiao verify`: recomputes a database's rollups from its reports and
/// compares; an error when anything differs (after `--repair`, when the
/// rebuilt rollups still differ). It reads week by week, not in one
/// snapshot: on a live node a report committed mid-check can show as a
/// difference, which a second run no longer shows.
pub async fn verify(args: VerifyArgs) -> Result<()> {
    crate::commands::node::init_logging("warn");
    let policy = TimePolicy::parse(&args.time_zone, &args.cutoff)?;
    if let Some(path) = sqlite_path(&args.db)
        && !path.exists()
    {
        bail!(tr!("error-verify-no-database", path = path.display().to_string()));
    }
    let store = fengqiao_store::connect(&args.db)
        .await
        .with_context(|| format!("cannot open the database {}", args.db))?;
    let result = verify_store(&*store, &args, &policy).await;
    store.close().await;
    result
}

pub(crate) async fn verify_store(
    store: &dyn fengqiao_store::Store,
    args: &VerifyArgs,
    policy: &TimePolicy,
) -> Result<()> {
    let stored = store.load_units().await?;
    let tree = match (&args.tree, stored) {
        (Some(path), stored) => {
            let tree = crate::commands::node::load_tree(path)?;
            match stored {
                Some(stored) if stored.root_id() != tree.root_id() => {
                    let root = stored.root_id().to_string();
                    tree.restricted_to(&root).ok_or_else(|| {
                        anyhow!(tr!(
                            "error-verify-unit-not-in-tree",
                            unit = root.to_string(),
                            path = path.display().to_string()
                        ))
                    })?
                }
                _ => tree,
            }
        }
        (None, Some(stored)) => stored,
        (None, None) => bail!(tr!("error-verify-no-tree")),
    };
    if tree.root().tier < fengqiao_core::Tier::District {
        bail!(tr!(
            "error-verify-summary-node",
            unit = tree.root_id().to_string(),
            tier = tree.root().tier.to_string()
        ));
    }
    println!(
        "verifying the rollups of {} ({} {}, {} units; {} cut-off {})",
        args.db,
        tree.root().name,
        tree.root_id(),
        tree.len(),
        policy.zone,
        policy.cutoff.format("%H:%M")
    );
    let basis = fengqiao_store::rollup::basis(&tree, policy);
    let stored_basis = store.get_meta(fengqiao_store::rollup::BASIS_KEY).await?;
    let basis_matches = stored_basis.as_deref().is_none_or(|stored| stored == basis);
    if !basis_matches {
        eprintln!(
            "warning: the rollups were built with another tree or time policy than this one; \
             pass the node's own --time-zone and --cutoff (and no --tree) for a meaningful check"
        );
    }
    let started = std::time::Instant::now();
    let first = fengqiao_store::rollup::verify(store, &tree, policy).await?;
    print_verification(&first, started.elapsed());
    if first.differences.is_empty() {
        return Ok(());
    }
    if !args.repair {
        bail!(
            "{} differences between the rollups and the reports (--repair rebuilds them)",
            first.differences.len()
        );
    }
    if !basis_matches {
        bail!(
            "not repairing: rebuilding with a time policy or tree other than the node's would make the rollups \
             wrong; pass the node's own --time-zone and --cutoff"
        );
    }
    let started = std::time::Instant::now();
    let rebuilt = store.rebuild_rollups(policy).await?;
    println!(
        "rebuilt every rollup from {rebuilt} reports in {:.1} s; verifying again",
        started.elapsed().as_secs_f64()
    );
    let started = std::time::Instant::now();
    let second = fengqiao_store::rollup::verify(store, &tree, policy).await?;
    print_verification(&second, started.elapsed());
    if !second.differences.is_empty() {
        bail!(tr!("error-verify-differences", count = second.differences.len()));
    }
    Ok(())
}

fn print_verification(verification: &fengqiao_store::Verification, elapsed: std::time::Duration) {
    println!("  weeks holding data    {}", verification.weeks);
    println!("  reports recomputed    {}", verification.reports);
    println!("  rollup rows compared  {}", verification.rows);
    println!("  employer checks       {}", verification.employer_checks);
    println!("  differences           {}  ({:.1} s)", verification.differences.len(), elapsed.as_secs_f64());
    for difference in &verification.differences {
        println!("    {difference}");
    }
}

/// The file of a `sqlite:` URL (none for in-memory databases or other backends).
fn sqlite_path(url: &str) -> Option<PathBuf> {
    let rest = url.strip_prefix("sqlite://").or_else(|| url.strip_prefix("sqlite:"))?;
    let path = rest.split('?').next().unwrap_or(rest);
    (!path.is_empty() && !path.contains(":memory:")).then(|| PathBuf::from(path))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn sqlite_paths() {
        assert_eq!(sqlite_path("sqlite://a/b.db"), Some(PathBuf::from("a/b.db")));
        assert_eq!(sqlite_path("sqlite:///tmp/x.db?mode=rwc"), Some(PathBuf::from("/tmp/x.db")));
        assert_eq!(sqlite_path("sqlite::memory:"), None);
        assert_eq!(sqlite_path("postgres://u@h/db"), None);
    }
}
