//! The deployment's certificates: one CA, and leaf certificates that name
//! their holder.
//!
//! Every key is ECDSA P-256. A leaf carries exactly one URI subject
//! alternative name, [`Identity::to_uri`] — the only thing a node reads to
//! know who is calling. A node's certificate also names the hosts it listens
//! on (DNS and IP SANs, always `localhost` and `127.0.0.1`) and serves as
//! both server and client: a node answers its children and calls its parent.
//! A person's certificate is a client certificate only.
//!
//! A person's certificate may also carry their display name (王书记) in
//! the subject's `displayName` attribute ([`DISPLAY_NAME_OID`], UTF-8): the
//! CA vouches for it as for the identity, and the ledger records it beside
//! the person's id.
//!
//! The functions return PEM text; [`write_pair`] puts a certificate and its
//! key into files, the key readable by its owner only.

use std::net::IpAddr;
use std::path::{Path, PathBuf};
use std::time::{Duration, SystemTime};

use fengqiao_core::actor::DisplayName;
use fengqiao_core::identity::Identity;
use rcgen::{
    BasicConstraints, CertificateParams, DistinguishedName, DnType, ExtendedKeyUsagePurpose, IsCa, Issuer,
    KeyPair, KeyUsagePurpose, PKCS_ECDSA_P256_SHA256, SanType,
};

/// The subject attribute a person's display name travels in: `displayName`
/// (2.16.840.1.113730.3.1.241, as in LDAP's inetOrgPerson).
pub const DISPLAY_NAME_OID: [u64; 8] = [2, 16, 840, 1, 113_730, 3, 1, 241];

/// The CA certificate's common name.
pub const CA_NAME: &str = "fengqiao deployment CA";
/// Default validity of a leaf certificate: the longest browsers accept, so a
/// yearly rotation has a month of overlap.
pub const DEFAULT_LEAF_DAYS: u32 = 397;
/// Default validity of the CA certificate.
pub const DEFAULT_CA_DAYS: u32 = 3650;
/// Longest validity accepted for any certificate.
pub const MAX_DAYS: u32 = 36_500;
/// A certificate is valid from this long before it is issued, so clocks a
/// little behind still accept it.
const BACKDATE: Duration = Duration::from_secs(3600);

/// Why a certificate could not be made or written.
#[derive(Debug, thiserror::Error)]
pub enum PkiError {
    #[error("{0}")]
    Invalid(String),
    #[error("certificate generation: {0}")]
    Generate(#[from] rcgen::Error),
    #[error("{} already exists; refusing to overwrite it", .0.display())]
    Exists(PathBuf),
    #[error("cannot read {}: {source}", path.display())]
    Read { path: PathBuf, source: std::io::Error },
    #[error("cannot write {}: {source}", path.display())]
    Write { path: PathBuf, source: std::io::Error },
}

/// A certificate and its private key, both PEM.
#[derive(Clone)]
pub struct CertifiedKey {
    pub cert_pem: String,
    pub key_pem: String,
}

impl std::fmt::Debug for CertifiedKey {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("CertifiedKey")
            .field("cert_pem", &self.cert_pem)
            .field("key_pem", &"<redacted>")
            .finish()
    }
}

fn check_days(days: u32) -> Result<(), PkiError> {
    if !(1..=MAX_DAYS).contains(&days) {
        return Err(PkiError::Invalid(format!("validity must be 1–{MAX_DAYS} days, not {days}")));
    }
    Ok(())
}

fn validity(params: &mut CertificateParams, days: u32) {
    let now = SystemTime::now();
    params.not_before = (now - BACKDATE).into();
    params.not_after = (now + Duration::from_secs(u64::from(days) * 86_400)).into();
}

/// A new self-signed deployment CA valid for `days`.
pub fn new_ca(days: u32) -> Result<CertifiedKey, PkiError> {
    check_days(days)?;
    let key = KeyPair::generate_for(&PKCS_ECDSA_P256_SHA256)?;
    let mut params = CertificateParams::default();
    let mut name = DistinguishedName::new();
    name.push(DnType::CommonName, CA_NAME);
    params.distinguished_name = name;
    // Only leaves below it: no intermediate CAs.
    params.is_ca = IsCa::Ca(BasicConstraints::Constrained(0));
    params.key_usages =
        vec![KeyUsagePurpose::KeyCertSign, KeyUsagePurpose::CrlSign, KeyUsagePurpose::DigitalSignature];
    validity(&mut params, days);
    let cert = params.self_signed(&key)?;
    Ok(CertifiedKey { cert_pem: cert.pem(), key_pem: key.serialize_pem() })
}

/// Issues a leaf certificate for `identity`, signed by `ca`, valid for
/// `days`. A node's certificate also names `hosts` (host names or IP
/// addresses) besides `localhost` and `127.0.0.1`; a person's takes none.
pub fn issue(
    ca: &CertifiedKey,
    identity: &Identity,
    hosts: &[String],
    days: u32,
) -> Result<CertifiedKey, PkiError> {
    issue_named(ca, identity, None, hosts, days)
}

/// [`issue`], with a person's display name in the subject (a node's
/// certificate takes none).
pub fn issue_named(
    ca: &CertifiedKey,
    identity: &Identity,
    display_name: Option<&DisplayName>,
    hosts: &[String],
    days: u32,
) -> Result<CertifiedKey, PkiError> {
    check_days(days)?;
    let ca_key = KeyPair::from_pem(&ca.key_pem)
        .map_err(|e| PkiError::Invalid(format!("the CA key is not a usable PEM private key: {e}")))?;
    let issuer = Issuer::from_ca_cert_pem(&ca.cert_pem, ca_key)
        .map_err(|e| PkiError::Invalid(format!("the CA certificate is not a usable PEM certificate: {e}")))?;
    let uri = identity.to_uri();
    let mut params = CertificateParams::default();
    let mut name = DistinguishedName::new();
    name.push(DnType::CommonName, identity.to_string());
    if let Some(display_name) = display_name {
        if matches!(identity, Identity::Node { .. }) {
            return Err(PkiError::Invalid(
                "a display name is for a person's certificate, not a node's".into(),
            ));
        }
        name.push(DnType::CustomDnType(DISPLAY_NAME_OID.to_vec()), display_name.as_str());
    }
    params.distinguished_name = name;
    params.subject_alt_names = vec![SanType::URI(uri.as_str().try_into()?)];
    params.key_usages = vec![KeyUsagePurpose::DigitalSignature];
    params.use_authority_key_identifier_extension = true;
    match identity {
        Identity::Node { .. } => {
            params.extended_key_usages =
                vec![ExtendedKeyUsagePurpose::ServerAuth, ExtendedKeyUsagePurpose::ClientAuth];
            let mut names: Vec<String> = vec!["localhost".into(), "127.0.0.1".into()];
            for host in hosts {
                if !names.contains(host) {
                    names.push(host.clone());
                }
            }
            for host in names {
                params.subject_alt_names.push(host_san(&host)?);
            }
        }
        Identity::Person { .. } => {
            if !hosts.is_empty() {
                return Err(PkiError::Invalid(
                    "hosts are for node certificates; a person's names none".into(),
                ));
            }
            params.extended_key_usages = vec![ExtendedKeyUsagePurpose::ClientAuth];
        }
    }
    validity(&mut params, days);
    let key = KeyPair::generate_for(&PKCS_ECDSA_P256_SHA256)?;
    let cert = params.signed_by(&key, &issuer)?;
    Ok(CertifiedKey { cert_pem: cert.pem(), key_pem: key.serialize_pem() })
}

fn host_san(host: &str) -> Result<SanType, PkiError> {
    if let Ok(ip) = host.parse::<IpAddr>() {
        return Ok(SanType::IpAddress(ip));
    }
    let valid = !host.is_empty()
        && host.len() <= 253
        && host.split('.').all(|label| {
            !label.is_empty()
                && label.len() <= 63
                && label.bytes().all(|b| b.is_ascii_alphanumeric() || b == b'-')
                && !label.starts_with('-')
                && !label.ends_with('-')
        });
    if !valid {
        return Err(PkiError::Invalid(format!("host {host:?} is neither an IP address nor a DNS name")));
    }
    Ok(SanType::DnsName(host.try_into()?))
}

/// The CA's files in a directory.
pub fn ca_paths(dir: &Path) -> (PathBuf, PathBuf) {
    (dir.join("ca.pem"), dir.join("ca-key.pem"))
}

/// The files of a leaf written with prefix `prefix`: `PREFIX.pem` and
/// `PREFIX-key.pem`.
pub fn leaf_paths(prefix: &Path) -> (PathBuf, PathBuf) {
    let mut cert = prefix.as_os_str().to_owned();
    cert.push(".pem");
    let mut key = prefix.as_os_str().to_owned();
    key.push("-key.pem");
    (PathBuf::from(cert), PathBuf::from(key))
}

/// Writes a certificate and its key to new files (the key with mode 0600),
/// refusing to overwrite either.
pub fn write_pair(pair: &CertifiedKey, cert_path: &Path, key_path: &Path) -> Result<(), PkiError> {
    for path in [cert_path, key_path] {
        if path.exists() {
            return Err(PkiError::Exists(path.to_owned()));
        }
    }
    write_new(key_path, &pair.key_pem, 0o600)?;
    write_new(cert_path, &pair.cert_pem, 0o644)
}

fn write_new(path: &Path, text: &str, mode: u32) -> Result<(), PkiError> {
    use std::io::Write;
    let mut options = std::fs::OpenOptions::new();
    options.write(true).create_new(true);
    #[cfg(unix)]
    {
        use std::os::unix::fs::OpenOptionsExt;
        options.mode(mode);
    }
    #[cfg(not(unix))]
    let _ = mode;
    let error = |source| PkiError::Write { path: path.to_owned(), source };
    let mut file = options.open(path).map_err(|source| match source.kind() {
        std::io::ErrorKind::AlreadyExists => PkiError::Exists(path.to_owned()),
        _ => error(source),
    })?;
    file.write_all(text.as_bytes()).map_err(error)?;
    file.sync_all().map_err(error)
}

/// Reads the CA written by `fengqiao ca init` into `dir`.
pub fn load_ca(dir: &Path) -> Result<CertifiedKey, PkiError> {
    let (cert, key) = ca_paths(dir);
    let read =
        |path: PathBuf| std::fs::read_to_string(&path).map_err(|source| PkiError::Read { path, source });
    Ok(CertifiedKey { cert_pem: read(cert)?, key_pem: read(key)? })
}

#[cfg(test)]
mod tests {
    use super::*;
    use fengqiao_core::UnitId;
    use fengqiao_core::identity::Role;
    use x509_parser::extensions::GeneralName;
    use x509_parser::prelude::*;

    fn parse(pem_text: &str) -> Vec<u8> {
        let (_, pem) = x509_parser::pem::parse_x509_pem(pem_text.as_bytes()).unwrap();
        pem.contents
    }

    #[test]
    fn the_ca_is_a_ca_named_for_the_deployment() {
        let ca = new_ca(DEFAULT_CA_DAYS).unwrap();
        let der = parse(&ca.cert_pem);
        let (_, cert) = X509Certificate::from_der(&der).unwrap();
        assert!(cert.is_ca());
        assert_eq!(cert.subject().to_string(), format!("CN={CA_NAME}"));
        assert_eq!(cert.subject(), cert.issuer());
        let days = (cert.validity().not_after.timestamp() - cert.validity().not_before.timestamp()) / 86_400;
        assert_eq!(days, i64::from(DEFAULT_CA_DAYS));
    }

    #[test]
    fn a_node_certificate_names_its_identity_and_hosts_and_serves_both_ways() {
        let ca = new_ca(30).unwrap();
        let identity = Identity::Node { unit: UnitId::parse("410411001").unwrap() };
        let leaf = issue(&ca, &identity, &["node.example".into(), "10.0.0.7".into()], 5).unwrap();
        let der = parse(&leaf.cert_pem);
        let (_, cert) = X509Certificate::from_der(&der).unwrap();
        assert!(!cert.is_ca());
        let names = &cert.subject_alternative_name().unwrap().unwrap().value.general_names;
        let uris: Vec<_> =
            names.iter().filter_map(|n| if let GeneralName::URI(u) = n { Some(*u) } else { None }).collect();
        assert_eq!(uris, ["fengqiao://node/410411001"]);
        let dns: Vec<_> = names
            .iter()
            .filter_map(|n| if let GeneralName::DNSName(d) = n { Some(*d) } else { None })
            .collect();
        assert_eq!(dns, ["localhost", "node.example"]);
        let ips: Vec<_> = names
            .iter()
            .filter_map(|n| if let GeneralName::IPAddress(ip) = n { Some(*ip) } else { None })
            .collect();
        assert_eq!(ips, [&[127, 0, 0, 1][..], &[10, 0, 0, 7][..]]);
        let eku = cert.extended_key_usage().unwrap().unwrap().value;
        assert!(eku.server_auth && eku.client_auth);
        let ca_der = parse(&ca.cert_pem);
        let (_, ca_cert) = X509Certificate::from_der(&ca_der).unwrap();
        cert.verify_signature(Some(ca_cert.public_key())).unwrap();
    }

    #[test]
    fn a_person_certificate_is_a_client_certificate_with_one_uri() {
        let ca = new_ca(30).unwrap();
        let identity = Identity::person("staff-7", UnitId::parse("410411").unwrap(), Role::Leader).unwrap();
        let leaf = issue(&ca, &identity, &[], 5).unwrap();
        let der = parse(&leaf.cert_pem);
        let (_, cert) = X509Certificate::from_der(&der).unwrap();
        let names = &cert.subject_alternative_name().unwrap().unwrap().value.general_names;
        assert_eq!(names.len(), 1);
        assert!(matches!(names[0], GeneralName::URI("fengqiao://person/410411/leader/staff-7")));
        let eku = cert.extended_key_usage().unwrap().unwrap().value;
        assert!(eku.client_auth && !eku.server_auth);
        assert!(issue(&ca, &identity, &["host".into()], 5).is_err());
    }

    #[test]
    fn bad_requests_are_refused() {
        let ca = new_ca(30).unwrap();
        let node = Identity::Node { unit: UnitId::parse("410411").unwrap() };
        assert!(matches!(new_ca(0), Err(PkiError::Invalid(_))));
        assert!(matches!(issue(&ca, &node, &[], MAX_DAYS + 1), Err(PkiError::Invalid(_))));
        assert!(matches!(issue(&ca, &node, &["bad host".into()], 5), Err(PkiError::Invalid(_))));
        let broken = CertifiedKey { cert_pem: ca.cert_pem.clone(), key_pem: "not a key".into() };
        assert!(matches!(issue(&broken, &node, &[], 5), Err(PkiError::Invalid(_))));
    }

    #[test]
    fn files_are_written_once_with_a_private_key() {
        let dir = tempfile::tempdir().unwrap();
        let ca = new_ca(30).unwrap();
        let (cert, key) = ca_paths(dir.path());
        write_pair(&ca, &cert, &key).unwrap();
        #[cfg(unix)]
        {
            use std::os::unix::fs::PermissionsExt;
            assert_eq!(std::fs::metadata(&key).unwrap().permissions().mode() & 0o777, 0o600);
        }
        assert!(matches!(write_pair(&ca, &cert, &key), Err(PkiError::Exists(_))));
        let loaded = load_ca(dir.path()).unwrap();
        assert_eq!(loaded.cert_pem, ca.cert_pem);
        let (leaf_cert, leaf_key) = leaf_paths(&dir.path().join("node-410411"));
        assert!(leaf_cert.ends_with("node-410411.pem") && leaf_key.ends_with("node-410411-key.pem"));
    }
}
