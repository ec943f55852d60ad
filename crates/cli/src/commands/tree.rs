//! `fengqiao tree generate`: write a unit tree file, groups added under a
//! real tree or a synthetic tree of any size (see [`crate::treegen`]).

use std::path::PathBuf;

use anyhow::{Context, Result, bail};

use crate::commands::node::load_tree;
use crate::treegen;

#[derive(Debug, clap::Args)]
pub struct GenerateArgs {
    /// Seed: the same seed gives the same tree.
    #[arg(long, default_value_t = 2026)]
    pub seed: u64,
    /// The real tree to add groups under (down to communities).
    #[arg(long, default_value = "deploy/zhanhe-410411-official.csv", conflicts_with = "synthetic")]
    pub from: PathBuf,
    /// The year in which some groups open or close.
    #[arg(long, default_value_t = 2026)]
    pub year: i32,
    /// Build a synthetic tree instead: TOWNSHIPS,COMMUNITIES_PER_TOWNSHIP,GROUPS_PER_COMMUNITY.
    #[arg(long, value_name = "T,C,G")]
    pub synthetic: Option<String>,
    /// Where to write the tree (standard output when absent).
    #[arg(long)]
    pub out: Option<PathBuf>,
}

pub fn generate(args: GenerateArgs) -> Result<()> {
    let tree = match &args.synthetic {
        Some(spec) => {
            let counts: Vec<usize> = spec
                .split(',')
                .map(|n| n.trim().parse::<usize>())
                .collect::<Result<_, _>>()
                .with_context(|| format!("--synthetic {spec:?}: expected three counts like 10,20,25"))?;
            let [townships, communities, groups] = counts[..] else {
                bail!("--synthetic {spec:?}: expected three counts like 10,20,25");
            };
            treegen::synthetic(args.seed, townships, communities, groups)?
        }
        None => treegen::add_groups(&load_tree(&args.from)?, args.seed, args.year),
    };
    let csv = tree.to_csv();
    match &args.out {
        Some(path) => {
            std::fs::write(path, csv).with_context(|| format!("cannot write {}", path.display()))?;
            eprintln!("wrote {} units to {}", tree.len(), path.display());
        }
        None => print!("{csv}"),
    }
    Ok(())
}
