//! `fengqiao ca init` and `fengqiao ca issue`: the deployment CA and its
//! certificates; and the `--ca/--cert/--key` flags every command that talks
//! to a node takes.

use std::path::PathBuf;
use std::sync::Arc;

use anyhow::{Context, Result, bail};
use fengqiao_core::UnitId;
use fengqiao_core::actor::DisplayName;
use fengqiao_core::identity::{Identity, Role};
use fengqiao_node::pki;
use fengqiao_node::{TlsMaterial, Transport};

#[derive(Debug, clap::Subcommand)]
pub enum CaCommand {
    /// Create a deployment CA: DIR/ca.pem (give it to every node and client)
    /// and DIR/ca-key.pem (keep it offline). Refuses to overwrite.
    Init(InitArgs),
    /// Issue a certificate for a node (--unit) or a person (--unit --person --role):
    /// PREFIX.pem and PREFIX-key.pem.
    Issue(IssueArgs),
}

#[derive(Debug, clap::Args)]
pub struct InitArgs {
    /// Directory for ca.pem and ca-key.pem (created when missing).
    #[arg(long)]
    pub dir: PathBuf,
    /// Validity in days.
    #[arg(long, default_value_t = pki::DEFAULT_CA_DAYS)]
    pub days: u32,
}

#[derive(Debug, clap::Args)]
pub struct IssueArgs {
    /// Directory holding ca.pem and ca-key.pem.
    #[arg(long)]
    pub ca_dir: PathBuf,
    /// The unit the node speaks for, or the person's unit.
    #[arg(long)]
    pub unit: String,
    /// A person's id (a staff number, never a name or ID number); without it the certificate is a node's.
    #[arg(long, requires = "role")]
    pub person: Option<String>,
    /// The person's role: reporter, officer, leader, admin or auditor.
    #[arg(long, requires = "person")]
    pub role: Option<String>,
    /// The department of --unit the person works for (a code such as hrss): the certificate then
    /// reaches only the cases that department holds or was assigned.
    #[arg(long, requires = "person", value_name = "CODE")]
    pub department: Option<String>,
    /// The person's display name (e.g. 王书记; at most 50 characters), which the ledger records beside
    /// their id.
    #[arg(long, requires = "person")]
    pub name: Option<String>,
    /// A host name or IP address the node is reached at (repeatable); localhost and 127.0.0.1 are always included.
    #[arg(long = "host")]
    pub hosts: Vec<String>,
    /// Validity in days.
    #[arg(long, default_value_t = pki::DEFAULT_LEAF_DAYS)]
    pub days: u32,
    /// Output prefix: writes PREFIX.pem and PREFIX-key.pem (refuses to overwrite).
    #[arg(long)]
    pub out: PathBuf,
}

pub fn run(command: CaCommand) -> Result<()> {
    match command {
        CaCommand::Init(args) => init(args),
        CaCommand::Issue(args) => issue(args),
    }
}

fn init(args: InitArgs) -> Result<()> {
    std::fs::create_dir_all(&args.dir).with_context(|| format!("cannot create {}", args.dir.display()))?;
    let (cert, key) = pki::ca_paths(&args.dir);
    let ca = pki::new_ca(args.days)?;
    pki::write_pair(&ca, &cert, &key)?;
    println!("wrote {} and {} (valid {} days)", cert.display(), key.display(), args.days);
    Ok(())
}

/// The identity `--unit [--person --role]` names.
pub fn identity(unit: &str, person: Option<&str>, role: Option<&str>) -> Result<Identity> {
    let unit = UnitId::parse(unit).map_err(|e| anyhow::anyhow!("--unit: {e}"))?;
    Ok(match (person, role) {
        (None, None) => Identity::Node { unit },
        (Some(person), Some(role)) => {
            let role = Role::parse(role).with_context(|| {
                format!("--role {role:?}: expected reporter, officer, leader, admin or auditor")
            })?;
            Identity::person(person, unit, role).map_err(|e| anyhow::anyhow!("--person: {e}"))?
        }
        _ => bail!("--person and --role go together"),
    })
}

/// The identity of a department's person: `--unit --department --person --role`.
pub fn department_identity(unit: &str, code: &str, person: &str, role: &str) -> Result<Identity> {
    let Identity::Person { id, unit, role, .. } = identity(unit, Some(person), Some(role))? else {
        bail!("--department needs --person and --role");
    };
    let code = fengqiao_core::department::DeptCode::parse_field(code, "--department")
        .map_err(|e| anyhow::anyhow!("--department: {e}"))?;
    Identity::department_person(&id, fengqiao_core::department::DepartmentId::new(unit, code), role)
        .map_err(|e| anyhow::anyhow!("--person: {e}"))
}

fn issue(args: IssueArgs) -> Result<()> {
    let identity = match (&args.department, &args.person, &args.role) {
        (Some(code), Some(person), Some(role)) => department_identity(&args.unit, code, person, role)?,
        _ => identity(&args.unit, args.person.as_deref(), args.role.as_deref())?,
    };
    let name = args
        .name
        .as_deref()
        .map(|name| DisplayName::parse_field(name, "--name"))
        .transpose()
        .map_err(|e| anyhow::anyhow!("{e}"))?;
    let ca = pki::load_ca(&args.ca_dir)?;
    let leaf = pki::issue_named(&ca, &identity, name.as_ref(), &args.hosts, args.days)?;
    let (cert, key) = pki::leaf_paths(&args.out);
    pki::write_pair(&leaf, &cert, &key)?;
    let named = name.map(|name| format!(", {name}")).unwrap_or_default();
    println!(
        "wrote {} and {} for {}{named} ({})",
        cert.display(),
        key.display(),
        identity,
        identity.to_uri()
    );
    Ok(())
}

/// The TLS material a command presents: the deployment CA bundle, this
/// node's or person's certificate and its key.
#[derive(Debug, Clone, Default, clap::Args)]
pub struct TlsArgs {
    /// The deployment CA certificate(s), PEM (several during a CA rotation).
    #[arg(long, env = crate::commands::config::CA.variable)]
    pub ca: Option<PathBuf>,
    /// This node's or person's certificate, PEM.
    #[arg(long, env = crate::commands::config::CERT.variable)]
    pub cert: Option<PathBuf>,
    /// The certificate's private key, PEM.
    #[arg(long, env = crate::commands::config::KEY.variable)]
    pub key: Option<PathBuf>,
}

impl TlsArgs {
    /// The material when all three files are given; `None` when none is; an
    /// error naming what is missing otherwise.
    pub fn material(&self) -> Result<Option<TlsMaterial>> {
        match (&self.ca, &self.cert, &self.key) {
            (None, None, None) => Ok(None),
            (Some(ca), Some(cert), Some(key)) => Ok(Some(TlsMaterial::load(ca, cert, key)?)),
            _ => {
                let given = [&self.ca, &self.cert, &self.key];
                let missing: Vec<String> = crate::commands::config::SHARED_SETTINGS
                    .iter()
                    .zip(given)
                    .filter(|(_, value)| value.is_none())
                    .map(|(setting, _)| {
                        format!("missing {}: {}", setting.flag, setting.how_to_give_a_client())
                    })
                    .collect();
                bail!("TLS needs --ca, --cert and --key together; {}", missing.join("; "))
            }
        }
    }

    /// A client's transport: TLS with the material, else plaintext (which
    /// only `http://` nodes started with `--insecure` accept).
    pub fn client_transport(&self) -> Result<Transport> {
        Ok(match self.material()? {
            Some(material) => Transport::Tls(Arc::new(material)),
            None => Transport::Insecure,
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn identities_from_flags() {
        assert_eq!(identity("410411", None, None).unwrap().to_uri(), "fengqiao://node/410411");
        assert_eq!(
            identity("410411001", Some("s-1"), Some("officer")).unwrap().to_uri(),
            "fengqiao://person/410411001/officer/s-1"
        );
        assert!(identity("410411", Some("s-1"), Some("mayor")).is_err());
        assert!(identity("410411", Some("s 1"), Some("leader")).is_err());
        assert!(identity("41 x", None, None).is_err());
        assert!(identity("410411", Some("s-1"), None).is_err());
        assert_eq!(
            department_identity("410411", "hrss", "s-1", "officer").unwrap().to_uri(),
            "fengqiao://dept/410411/hrss/officer/s-1"
        );
        assert!(department_identity("410411", "HR SS", "s-1", "officer").is_err());
    }

    #[test]
    fn tls_flags_go_together() {
        let partial = TlsArgs { ca: Some("ca.pem".into()), ..TlsArgs::default() };
        let error = partial.material().unwrap_err().to_string();
        assert!(
            error.ends_with(
                "missing --cert: pass --cert or export FENGQIAO_CERT; missing --key: pass --key or export FENGQIAO_KEY"
            ),
            "{error}"
        );
        assert!(TlsArgs::default().material().unwrap().is_none());
    }
}
