//! `fengqiao tree generate`: write a unit tree file, groups added under a
//! real tree or a synthetic tree of any size (see [`crate::treegen`]);
//! `fengqiao tree national`: a subtree of the national division tree (see
//! [`crate::national`]).

use std::io::Write;
use std::path::PathBuf;
use std::time::Instant;

use anyhow::{Context, Result, bail};
use fengqiao_core::Tier;

use crate::commands::node::load_tree;
use crate::national::{self, Root};
use crate::treegen::{self, GroupDensity};

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
        None => {
            treegen::check_year(args.year)?;
            treegen::add_groups(&load_tree(&args.from)?, args.seed, args.year)
        }
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

#[derive(Debug, clap::Args)]
pub struct NationalArgs {
    /// The national divisions file: code,parent_code,level,name, gzipped or not.
    #[arg(long, default_value = "../shared/data/china-divisions-2023.csv.gz")]
    pub divisions: PathBuf,
    /// The subtree's root: `cn` (the country) or a division code (41 a province, 4104 a city,
    /// 410411 a county).
    #[arg(long, value_parser = parse_root)]
    pub root: Root,
    /// The deepest tier in the tree: province, city, district, township, community (the
    /// villages, the file's last level) or group (generated under every community).
    #[arg(long, default_value = "group", value_parser = parse_tier)]
    pub down_to: Tier,
    /// Groups per community when down to group: MIN,MAX (each drawn uniformly) or N.
    #[arg(long, default_value = "10,30", value_parser = GroupDensity::parse)]
    pub groups: GroupDensity,
    /// Seed of the generated groups: the same seed gives the same tree.
    #[arg(long, default_value_t = 2026)]
    pub seed: u64,
    /// The year in which about 1% of the generated groups open or close.
    #[arg(long, default_value_t = 2026)]
    pub year: i32,
    /// Where to write the tree (standard output when absent).
    #[arg(long)]
    pub out: Option<PathBuf>,
}

fn parse_root(text: &str) -> Result<Root> {
    Root::parse(text)
}

fn parse_tier(text: &str) -> Result<Tier, String> {
    Tier::parse(text).ok_or_else(|| {
        format!("{text:?} is not a tier: nation, province, city, district, township, community or group")
    })
}

pub fn national(args: NationalArgs) -> Result<()> {
    if args.down_to == Tier::Group {
        treegen::check_year(args.year)?;
    }
    let started = Instant::now();
    // Down to groups, the groups are streamed out, never all in memory;
    // above them the tree is what `national::load` builds.
    let tree = if args.down_to == Tier::Group {
        national::load_official(&args.divisions, &args.root, args.down_to)?
    } else {
        national::load(&args.divisions, &args.root, args.down_to, args.groups, args.seed, args.year)?
    };
    let write = |out: &mut dyn Write| -> Result<usize> {
        if args.down_to == Tier::Group {
            treegen::write_with_groups(&tree, args.groups, args.seed, args.year, out)
        } else {
            national::write_official_csv(&tree, out)
        }
    };
    match &args.out {
        Some(path) => {
            let file =
                std::fs::File::create(path).with_context(|| format!("cannot write {}", path.display()))?;
            let mut out = std::io::BufWriter::new(file);
            let written = write(&mut out)?;
            out.flush().with_context(|| format!("cannot write {}", path.display()))?;
            eprintln!(
                "wrote {written} units (subtree of {} down to {}) to {} in {:.1} s",
                args.root,
                args.down_to,
                path.display(),
                started.elapsed().as_secs_f64()
            );
        }
        None => {
            let stdout = std::io::stdout();
            let mut out = std::io::BufWriter::new(stdout.lock());
            write(&mut out)?;
            out.flush()?;
        }
    }
    Ok(())
}

#[derive(Debug, clap::Args)]
pub struct CountsArgs {
    /// The national divisions file: code,parent_code,level,name, gzipped or not.
    #[arg(long, default_value = "../shared/data/china-divisions-2023.csv.gz")]
    pub divisions: PathBuf,
    /// The subtree's root: `cn` (the country) or a division code.
    #[arg(long, value_parser = parse_root, default_value = "cn")]
    pub root: Root,
    /// Also count the groups the national tree gets at this density: MIN,MAX or N.
    #[arg(long, value_parser = GroupDensity::parse)]
    pub groups: Option<GroupDensity>,
    /// Seed of the generated groups.
    #[arg(long, default_value_t = 2026)]
    pub seed: u64,
}

pub fn counts(args: CountsArgs) -> Result<()> {
    if let (Some(_), Root::Division(root)) = (&args.groups, &args.root)
        && root.len() > 6
    {
        bail!("--groups counts whole counties: choose cn or a province, city or county code");
    }
    let started = Instant::now();
    let counts = national::counts(&args.divisions, &args.root)?;
    for (tier, count) in &counts {
        println!("{:<10} {count:>9}", tier.as_str());
    }
    if let Some(density) = args.groups {
        let counties = national::groups_per_county(&args.divisions, density, args.seed)?;
        let within = |code: &str| match &args.root {
            Root::Nation => true,
            Root::Division(root) => code.starts_with(root.as_str()),
        };
        let groups: usize = counties.iter().filter(|c| within(&c.county)).map(|c| c.groups).sum();
        println!(
            "{:<10} {groups:>9}  (the national tree's at {}-{} per community, seed {})",
            Tier::Group.as_str(),
            density.min(),
            density.max(),
            args.seed
        );
    }
    eprintln!("read {} in {:.1} s", args.divisions.display(), started.elapsed().as_secs_f64());
    Ok(())
}
