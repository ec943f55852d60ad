//! Personal-data keys: the flags a node takes, and `fengqiao pii` (generate
//! a key, reseal a database under the current key).

use std::io::Write;
use std::path::{Path, PathBuf};

use anyhow::{Context, Result, bail};
use fengqiao_store::{Keyring, PersonalDataKey};

/// The keys petitioners' personal data is sealed with at rest.
#[derive(Debug, Clone, Default, clap::Args)]
pub struct KeyArgs {
    /// File holding the current personal-data key (64 hex digits; `fengqiao pii keygen` writes
    /// one): petitioners' names, phones and id numbers are stored sealed under it. Without it a
    /// built-in development key is used and the node says so: not for production.
    #[arg(long, env = "FENGQIAO_PERSONAL_DATA_KEY_FILE")]
    pub personal_data_key_file: Option<PathBuf>,
    /// A previous personal-data key (repeatable): values sealed under it are still read, and
    /// resealed under the current key when the node starts.
    #[arg(
        long = "previous-personal-data-key-file",
        env = "FENGQIAO_PREVIOUS_PERSONAL_DATA_KEY_FILES",
        value_delimiter = ','
    )]
    pub previous_personal_data_key_files: Vec<PathBuf>,
}

impl KeyArgs {
    /// The keyring the flags name; the development key (said loudly) when
    /// no current key is given.
    pub fn keyring(&self) -> Result<Keyring> {
        let previous = self
            .previous_personal_data_key_files
            .iter()
            .map(|path| PersonalDataKey::from_file(path))
            .collect::<Result<Vec<_>, _>>()?;
        let current = match &self.personal_data_key_file {
            Some(path) => PersonalDataKey::from_file(path)?,
            None => {
                if !previous.is_empty() {
                    bail!(
                        "--previous-personal-data-key-file needs --personal-data-key-file (the current key)"
                    );
                }
                tracing::warn!(
                    "no --personal-data-key-file: petitioners' personal data is sealed under the built-in \
                     development key, which is public; never run a real deployment like this"
                );
                PersonalDataKey::development()
            }
        };
        let keyring = Keyring::new(current, previous)?;
        if keyring.is_development() && self.personal_data_key_file.is_some() {
            tracing::warn!("--personal-data-key-file holds the built-in development key, which is public");
        }
        Ok(keyring)
    }
}

#[derive(Debug, clap::Subcommand)]
pub enum PiiCommand {
    /// Write a new random personal-data key (64 hex digits) to a file readable only by its owner.
    Keygen(KeygenArgs),
    /// Seal every stored personal-data value under the current key: values under a previous key
    /// and plaintext from before sealing existed. Then the previous key can be retired.
    Rekey(RekeyArgs),
}

#[derive(Debug, clap::Args)]
pub struct KeygenArgs {
    /// Where to write the key (refused when the file exists).
    #[arg(long)]
    pub out: PathBuf,
}

#[derive(Debug, clap::Args)]
pub struct RekeyArgs {
    /// Database URL: sqlite://PATH or postgres://USER@HOST:PORT/DB.
    #[arg(long, env = "FENGQIAO_DB")]
    pub db: String,
    /// The current key: everything is resealed under it.
    #[arg(long = "key-file", env = "FENGQIAO_PERSONAL_DATA_KEY_FILE")]
    pub key_file: PathBuf,
    /// A previous key still sealing some values (repeatable).
    #[arg(
        long = "previous-key-file",
        env = "FENGQIAO_PREVIOUS_PERSONAL_DATA_KEY_FILES",
        value_delimiter = ','
    )]
    pub previous_key_files: Vec<PathBuf>,
    /// Print the result as JSON.
    #[arg(long)]
    pub json: bool,
}

pub async fn run(command: PiiCommand) -> Result<()> {
    match command {
        PiiCommand::Keygen(args) => keygen(&args.out),
        PiiCommand::Rekey(args) => rekey(args).await,
    }
}

fn keygen(out: &Path) -> Result<()> {
    let mut key = [0u8; 32];
    rand::fill(&mut key);
    let mut options = std::fs::OpenOptions::new();
    options.write(true).create_new(true);
    #[cfg(unix)]
    std::os::unix::fs::OpenOptionsExt::mode(&mut options, 0o600);
    let mut file = options.open(out).with_context(|| format!("cannot create {}", out.display()))?;
    writeln!(file, "{}", hex::encode(key)).with_context(|| format!("cannot write {}", out.display()))?;
    let id = PersonalDataKey::from_bytes(key).id();
    println!("wrote personal-data key {id} to {}", out.display());
    Ok(())
}

async fn rekey(args: RekeyArgs) -> Result<()> {
    crate::commands::node::init_logging("warn");
    let keys = KeyArgs {
        personal_data_key_file: Some(args.key_file.clone()),
        previous_personal_data_key_files: args.previous_key_files.clone(),
    };
    let keyring = keys.keyring()?;
    let store = fengqiao_store::connect_with(&args.db, keyring.clone())
        .await
        .with_context(|| format!("cannot open the database {}", args.db))?;
    let result = store.rekey_personal_data().await;
    store.close().await;
    let report = result.context("rekey failed; nothing was changed")?;
    if args.json {
        println!(
            "{}",
            serde_json::json!({
                "key_id": keyring.current_id().to_hex(),
                "petitioners": report.petitioners,
                "downlink_events": report.downlink_events,
                "plaintext_sealed": report.plaintext_sealed,
            })
        );
    } else {
        println!(
            "resealed under key {}: {} petitioners and {} downlink events from previous keys, {} plaintext values sealed",
            keyring.current_id(),
            report.petitioners,
            report.downlink_events,
            report.plaintext_sealed
        );
    }
    Ok(())
}
