//! The node's transport: mutual TLS with the deployment CA, or plaintext on
//! loopback for tests and local experiments.
//!
//! Under mTLS the server demands a client certificate issued by the
//! deployment CA and [`CallerLayer`] turns the verified certificate's one
//! `fengqiao://` URI SAN into the request's [`Caller`] (and the display name
//! the certificate may carry into a [`CallerName`]); nothing the caller
//! sends can change either. [`connect_endpoint`] is the client side every
//! node-to-node hop uses (the forwarder and the downlink follower reach the
//! parent with the node's own certificate).

use std::path::{Path, PathBuf};
use std::sync::Arc;
use std::task::{Context, Poll};

use fengqiao_core::actor::DisplayName;
use fengqiao_core::identity::Identity;
use futures::future::{Either, Ready, ready};
use tonic::codegen::http;
use tonic::transport::server::{TcpConnectInfo, TlsConnectInfo};
use tonic::transport::{Certificate, ClientTlsConfig, Endpoint};
use x509_parser::certificate::X509Certificate;
use x509_parser::extensions::GeneralName;
use x509_parser::prelude::FromDer;

use crate::caller::{Caller, CallerName};

/// How a node talks: mTLS with its certificate, or plaintext.
#[derive(Debug, Clone, Default)]
pub enum Transport {
    /// Mutual TLS: the node serves with its certificate, demands one from
    /// every caller, and presents its own to its parent.
    Tls(Arc<TlsMaterial>),
    /// Plaintext. Refused on any listener that is not loopback. The default
    /// only so in-process tests and benchmarks need not make certificates;
    /// `fengqiao node` requires TLS material or an explicit `--insecure`.
    #[default]
    Insecure,
}

impl Transport {
    /// The URL scheme this transport speaks.
    pub fn scheme(&self) -> &'static str {
        match self {
            Transport::Tls(_) => "https",
            Transport::Insecure => "http",
        }
    }
}

/// Whether a TLS server demands a client certificate or only asks for one.
#[derive(Debug, Clone, Copy)]
enum ClientCertificate {
    Required,
    Optional,
}

/// Why TLS material or a URL was refused.
#[derive(Debug, thiserror::Error)]
pub enum TlsError {
    #[error("cannot read the {what} file {}: {source}", path.display())]
    Read { what: &'static str, path: PathBuf, source: std::io::Error },
    #[error("the {what} is not a PEM {expected}: {detail}")]
    NotPem { what: String, expected: &'static str, detail: String },
    #[error("the CA file holds a certificate that is not a CA (basic constraints CA:false): {0}")]
    NotCa(String),
    #[error("the private key does not belong to the certificate")]
    KeyMismatch,
    #[error("the certificate ({0}) was not issued by any CA in the CA file")]
    NotIssuedByCa(String),
    #[error("the certificate ({subject}) is not valid now: valid from {not_before} to {not_after}")]
    NotValidNow { subject: String, not_before: String, not_after: String },
    #[error("the certificate names no identity: {0}")]
    Identity(String),
    #[error("{url:?} is not a URL: {detail}")]
    BadUrl { url: String, detail: String },
    #[error("{url:?} uses {found}:// but this node's transport is {expected}:// ({hint})")]
    SchemeMismatch { url: String, found: String, expected: &'static str, hint: &'static str },
    #[error("TLS configuration: {0}")]
    Config(String),
}

/// The deployment CA (one or several certificates: during a CA rotation the
/// old and the new), this node's or person's certificate and its key, all
/// PEM, checked to belong together.
#[derive(Clone)]
pub struct TlsMaterial {
    ca_pem: String,
    cert_pem: String,
    key_pem: String,
    identity: Identity,
}

impl std::fmt::Debug for TlsMaterial {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("TlsMaterial")
            .field("identity", &self.identity)
            .field("key_pem", &"<redacted>")
            .finish()
    }
}

impl TlsMaterial {
    /// Checks and holds PEM material: the CA file holds one or more CA
    /// certificates; the certificate names one identity, is valid now, was
    /// issued by one of the CAs, and matches the key.
    pub fn from_pem(ca_pem: &str, cert_pem: &str, key_pem: &str) -> Result<TlsMaterial, TlsError> {
        let cas = pem_certificates(ca_pem, "CA file")?;
        for ca in &cas {
            let (_, parsed) = parse_der(ca, "CA file")?;
            if !parsed.is_ca() {
                return Err(TlsError::NotCa(parsed.subject().to_string()));
            }
        }
        let leaf = pem_certificates(cert_pem, "certificate")?.swap_remove(0);
        let (_, cert) = parse_der(&leaf, "certificate")?;
        let identity = identity_of_parsed(&cert).map_err(TlsError::Identity)?;
        let validity = cert.validity();
        if !validity.is_valid() {
            return Err(TlsError::NotValidNow {
                subject: identity.to_string(),
                not_before: validity.not_before.to_string(),
                not_after: validity.not_after.to_string(),
            });
        }
        let issued = cas.iter().any(|ca| {
            parse_der(ca, "CA file").is_ok_and(|(_, ca)| cert.verify_signature(Some(ca.public_key())).is_ok())
        });
        if !issued {
            return Err(TlsError::NotIssuedByCa(identity.to_string()));
        }
        let key = rcgen::KeyPair::from_pem(key_pem).map_err(|e| TlsError::NotPem {
            what: "key".into(),
            expected: "private key",
            detail: e.to_string(),
        })?;
        if rcgen::PublicKeyData::subject_public_key_info(&key) != cert.public_key().raw {
            return Err(TlsError::KeyMismatch);
        }
        Ok(TlsMaterial {
            ca_pem: ca_pem.to_owned(),
            cert_pem: cert_pem.to_owned(),
            key_pem: key_pem.to_owned(),
            identity,
        })
    }

    /// Reads and checks the three files.
    pub fn load(ca: &Path, cert: &Path, key: &Path) -> Result<TlsMaterial, TlsError> {
        let read = |what: &'static str, path: &Path| {
            std::fs::read_to_string(path).map_err(|source| TlsError::Read {
                what,
                path: path.to_owned(),
                source,
            })
        };
        let (ca_pem, cert_pem, key_pem) = (read("CA", ca)?, read("certificate", cert)?, read("key", key)?);
        TlsMaterial::from_pem(&ca_pem, &cert_pem, &key_pem).map_err(|error| match error {
            TlsError::NotPem { what, expected, detail } => {
                let path = match what.as_str() {
                    "CA file" => ca,
                    "key" => key,
                    _ => cert,
                };
                TlsError::NotPem { what: format!("{what} {}", path.display()), expected, detail }
            }
            other => other,
        })
    }

    /// Who the certificate names.
    pub fn identity(&self) -> &Identity {
        &self.identity
    }

    /// The CA bundle, PEM.
    pub fn ca_pem(&self) -> &str {
        &self.ca_pem
    }

    /// The server side: this certificate, a client certificate of the CA
    /// bundle required of every caller, and HTTP/2 offered by ALPN. The
    /// node's own accept loop runs the handshakes (see
    /// [`crate::connections`]), under its connection deadline.
    pub fn acceptor(&self) -> Result<tokio_rustls::TlsAcceptor, TlsError> {
        self.server_config(ClientCertificate::Required, b"h2")
    }

    /// The web dashboard's server side (see [`crate::web`]): this
    /// certificate, HTTP/1.1, and a client certificate of the CA bundle
    /// *asked for* — a browser that presents one is that identity, one
    /// without opens a session by a login link instead.
    pub fn web_acceptor(&self) -> Result<tokio_rustls::TlsAcceptor, TlsError> {
        self.server_config(ClientCertificate::Optional, b"http/1.1")
    }

    fn server_config(
        &self,
        client: ClientCertificate,
        alpn: &[u8],
    ) -> Result<tokio_rustls::TlsAcceptor, TlsError> {
        use tokio_rustls::rustls::pki_types::CertificateDer;
        use tokio_rustls::rustls::server::WebPkiClientVerifier;
        use tokio_rustls::rustls::{RootCertStore, ServerConfig, crypto};
        let config_error = |error: &dyn std::fmt::Display| TlsError::Config(error.to_string());
        let provider = Arc::new(crypto::ring::default_provider());
        let mut roots = RootCertStore::empty();
        for ca in pem_certificates(&self.ca_pem, "CA file")? {
            roots.add(CertificateDer::from(ca)).map_err(|e| config_error(&e))?;
        }
        let verifier = WebPkiClientVerifier::builder_with_provider(Arc::new(roots), Arc::clone(&provider));
        let verifier = match client {
            ClientCertificate::Required => verifier,
            ClientCertificate::Optional => verifier.allow_unauthenticated(),
        };
        let verifier = verifier.build().map_err(|e| config_error(&e))?;
        let chain =
            pem_certificates(&self.cert_pem, "certificate")?.into_iter().map(CertificateDer::from).collect();
        let mut config = ServerConfig::builder_with_provider(provider)
            .with_safe_default_protocol_versions()
            .map_err(|e| config_error(&e))?
            .with_client_cert_verifier(verifier)
            .with_single_cert(chain, private_key(&self.key_pem)?)
            .map_err(|e| config_error(&e))?;
        config.alpn_protocols = vec![alpn.to_vec()];
        Ok(tokio_rustls::TlsAcceptor::from(Arc::new(config)))
    }

    /// The client side: trusts the CA bundle, presents this certificate.
    pub fn client_config(&self) -> ClientTlsConfig {
        ClientTlsConfig::new()
            .ca_certificate(Certificate::from_pem(&self.ca_pem))
            .identity(tonic::transport::Identity::from_pem(&self.cert_pem, &self.key_pem))
    }
}

fn pem_certificates(text: &str, what: &str) -> Result<Vec<Vec<u8>>, TlsError> {
    let not_pem =
        |detail: String| TlsError::NotPem { what: what.to_owned(), expected: "certificate", detail };
    let mut certificates = Vec::new();
    for block in x509_parser::pem::Pem::iter_from_buffer(text.as_bytes()) {
        let block = block.map_err(|e| not_pem(e.to_string()))?;
        if block.label == "CERTIFICATE" {
            certificates.push(block.contents);
        }
    }
    if certificates.is_empty() {
        return Err(not_pem("no CERTIFICATE block found".into()));
    }
    Ok(certificates)
}

/// The first private key of a PEM text (PKCS#8, SEC1 or PKCS#1).
fn private_key(text: &str) -> Result<tokio_rustls::rustls::pki_types::PrivateKeyDer<'static>, TlsError> {
    use tokio_rustls::rustls::pki_types::{PrivatePkcs1KeyDer, PrivatePkcs8KeyDer, PrivateSec1KeyDer};
    let not_pem = |detail: String| TlsError::NotPem { what: "key".into(), expected: "private key", detail };
    for block in x509_parser::pem::Pem::iter_from_buffer(text.as_bytes()) {
        let block = block.map_err(|e| not_pem(e.to_string()))?;
        match block.label.as_str() {
            "PRIVATE KEY" => return Ok(PrivatePkcs8KeyDer::from(block.contents).into()),
            "EC PRIVATE KEY" => return Ok(PrivateSec1KeyDer::from(block.contents).into()),
            "RSA PRIVATE KEY" => return Ok(PrivatePkcs1KeyDer::from(block.contents).into()),
            _ => {}
        }
    }
    Err(not_pem("no PRIVATE KEY block found".into()))
}

fn parse_der<'a>(der: &'a [u8], what: &str) -> Result<(&'a [u8], X509Certificate<'a>), TlsError> {
    X509Certificate::from_der(der).map_err(|e| TlsError::NotPem {
        what: what.to_owned(),
        expected: "certificate",
        detail: e.to_string(),
    })
}

/// The display name a person's DER certificate carries in its subject
/// ([`crate::pki::DISPLAY_NAME_OID`]): none when it carries none; an error
/// when it carries several, or one that is not a valid display name.
pub fn display_name_of_certificate(der: &[u8]) -> Result<Option<DisplayName>, String> {
    let (_, cert) = X509Certificate::from_der(der).map_err(|e| format!("unreadable certificate: {e}"))?;
    let oid = x509_parser::oid_registry::Oid::from(&crate::pki::DISPLAY_NAME_OID)
        .map_err(|_| "the display name attribute's OID".to_owned())?;
    let names: Vec<_> = cert.subject().iter_attributes().filter(|a| a.attr_type() == &oid).collect();
    match names.as_slice() {
        [] => Ok(None),
        [name] => {
            let text = name.as_str().map_err(|_| "its display name is not a UTF-8 string".to_owned())?;
            DisplayName::parse_field(text, "certificate.display_name")
                .map(Some)
                .map_err(|e| format!("its display name is malformed: {e}"))
        }
        several => Err(format!("it carries {} display names; at most one is allowed", several.len())),
    }
}

/// The identity a DER certificate names in its one URI SAN.
pub fn identity_of_certificate(der: &[u8]) -> Result<Identity, String> {
    let (_, cert) = X509Certificate::from_der(der).map_err(|e| format!("unreadable certificate: {e}"))?;
    identity_of_parsed(&cert)
}

fn identity_of_parsed(cert: &X509Certificate<'_>) -> Result<Identity, String> {
    let names = cert
        .subject_alternative_name()
        .map_err(|e| format!("malformed subject alternative names: {e}"))?
        .map(|extension| extension.value.general_names.as_slice())
        .unwrap_or_default();
    let uris: Vec<&str> = names
        .iter()
        .filter_map(|name| if let GeneralName::URI(uri) = name { Some(*uri) } else { None })
        .collect();
    match uris.as_slice() {
        [uri] => Identity::from_uri(uri).map_err(|e| format!("its URI SAN {uri:?} is malformed: {e}")),
        [] => Err("it carries no URI SAN (expected fengqiao://node/… or fengqiao://person/…)".into()),
        several => Err(format!("it carries {} URI SANs; exactly one is allowed", several.len())),
    }
}

/// An endpoint for `url` that speaks `transport`: `https://` with the node's
/// or person's certificate under TLS, `http://` when insecure; anything else
/// is refused.
pub fn connect_endpoint(url: &str, transport: &Transport) -> Result<Endpoint, TlsError> {
    let endpoint = Endpoint::from_shared(url.to_owned())
        .map_err(|e| TlsError::BadUrl { url: url.to_owned(), detail: e.to_string() })?;
    let found = endpoint.uri().scheme_str().unwrap_or("").to_owned();
    let expected = transport.scheme();
    if found != expected {
        let hint = match transport {
            Transport::Tls(_) => "use https:// with TLS material",
            Transport::Insecure => "https:// needs --ca, --cert and --key",
        };
        return Err(TlsError::SchemeMismatch { url: url.to_owned(), found, expected, hint });
    }
    match transport {
        Transport::Tls(material) => {
            endpoint.tls_config(material.client_config()).map_err(|e| TlsError::Config(e.to_string()))
        }
        Transport::Insecure => Ok(endpoint),
    }
}

/// Puts a [`Caller`] into every request before any service sees it: the
/// identity of the verified client certificate under TLS, or
/// [`Caller::Insecure`] on a plaintext node. A TLS request whose certificate
/// names no identity is answered UNAUTHENTICATED here.
#[derive(Debug, Clone, Copy)]
pub struct CallerLayer {
    tls: bool,
}

impl CallerLayer {
    pub fn new(transport: &Transport) -> Self {
        CallerLayer { tls: matches!(transport, Transport::Tls(_)) }
    }
}

impl<S> tower::Layer<S> for CallerLayer {
    type Service = CallerService<S>;

    fn layer(&self, inner: S) -> Self::Service {
        CallerService { inner, tls: self.tls }
    }
}

/// The service [`CallerLayer`] wraps around the routes.
#[derive(Debug, Clone)]
pub struct CallerService<S> {
    inner: S,
    tls: bool,
}

impl<S> CallerService<S> {
    fn caller<B>(&self, request: &http::Request<B>) -> Result<(Caller, Option<CallerName>), tonic::Status> {
        if !self.tls {
            return Ok((Caller::Insecure, None));
        }
        let certs = request
            .extensions()
            .get::<TlsConnectInfo<TcpConnectInfo>>()
            .and_then(|info| info.peer_certs())
            .ok_or_else(no_certificate)?;
        let leaf = certs.first().ok_or_else(no_certificate)?;
        let refused = |reason: String| {
            crate::status::refusal(
                tonic::Code::Unauthenticated,
                &fengqiao_core::why!(
                    CERTIFICATE_REFUSED,
                    "the client certificate is refused: {reason}",
                    reason = reason
                ),
            )
        };
        let identity = identity_of_certificate(leaf.as_ref()).map_err(refused)?;
        let name = display_name_of_certificate(leaf.as_ref()).map_err(refused)?;
        Ok((Caller::Verified(identity), name.map(CallerName)))
    }
}

impl<S, B> tower::Service<http::Request<B>> for CallerService<S>
where
    S: tower::Service<http::Request<B>, Response = http::Response<tonic::body::Body>>,
{
    type Response = S::Response;
    type Error = S::Error;
    type Future = Either<S::Future, Ready<Result<S::Response, S::Error>>>;

    fn poll_ready(&mut self, cx: &mut Context<'_>) -> Poll<Result<(), Self::Error>> {
        self.inner.poll_ready(cx)
    }

    fn call(&mut self, mut request: http::Request<B>) -> Self::Future {
        match self.caller(&request) {
            Ok((caller, name)) => {
                request.extensions_mut().insert(caller);
                if let Some(name) = name {
                    request.extensions_mut().insert(name);
                }
                Either::Left(self.inner.call(request))
            }
            Err(status) => {
                tracing::warn!(
                    path = request.uri().path(),
                    reason = status.message(),
                    "call refused: unauthenticated"
                );
                Either::Right(ready(Ok(status.into_http())))
            }
        }
    }
}

/// UNAUTHENTICATED: a TLS caller without a client certificate.
fn no_certificate() -> tonic::Status {
    crate::status::refusal(
        tonic::Code::Unauthenticated,
        &fengqiao_core::why!(NO_CLIENT_CERTIFICATE, "no client certificate was presented"),
    )
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::pki;
    use fengqiao_core::UnitId;
    use fengqiao_core::identity::Role;
    use rcgen::{CertificateParams, Issuer, KeyPair, SanType};

    fn node(unit: &str) -> Identity {
        Identity::Node { unit: UnitId::parse(unit).unwrap() }
    }

    fn der(pem_text: &str) -> Vec<u8> {
        pem_certificates(pem_text, "test").unwrap().swap_remove(0)
    }

    /// A leaf signed by `ca` with exactly `sans`, bypassing [`pki::issue`].
    fn raw_leaf(ca: &pki::CertifiedKey, sans: Vec<SanType>) -> pki::CertifiedKey {
        let issuer = Issuer::from_ca_cert_pem(&ca.cert_pem, KeyPair::from_pem(&ca.key_pem).unwrap()).unwrap();
        let mut params = CertificateParams::default();
        params.subject_alt_names = sans;
        let key = KeyPair::generate().unwrap();
        let cert = params.signed_by(&key, &issuer).unwrap();
        pki::CertifiedKey { cert_pem: cert.pem(), key_pem: key.serialize_pem() }
    }

    #[test]
    fn the_identity_comes_from_the_one_uri_san() {
        let ca = pki::new_ca(30).unwrap();
        let person = Identity::person("p-1", UnitId::parse("410411001").unwrap(), Role::Officer).unwrap();
        for identity in [node("410411"), person] {
            let leaf = pki::issue(&ca, &identity, &[], 5).unwrap();
            assert_eq!(identity_of_certificate(&der(&leaf.cert_pem)).unwrap(), identity);
        }
    }

    #[test]
    fn certificates_without_exactly_one_good_uri_san_name_nobody() {
        let ca = pki::new_ca(30).unwrap();
        let uri = |u: &str| SanType::URI(u.try_into().unwrap());
        let cases = [
            (vec![], "no URI SAN"),
            (vec![SanType::DnsName("localhost".try_into().unwrap())], "no URI SAN"),
            (vec![uri("fengqiao://node/410411"), uri("fengqiao://node/410412")], "2 URI SANs"),
            (vec![uri("fengqiao://node/")], "malformed"),
            (vec![uri("fengqiao://person/410411/mayor/p1")], "malformed"),
            (vec![uri("spiffe://example/node/410411")], "malformed"),
        ];
        for (sans, expected) in cases {
            let leaf = raw_leaf(&ca, sans);
            let error = identity_of_certificate(&der(&leaf.cert_pem)).unwrap_err();
            assert!(error.contains(expected), "{error}");
        }
        assert!(identity_of_certificate(b"not a certificate").unwrap_err().contains("unreadable"));
    }

    #[test]
    fn material_is_checked_to_belong_together() {
        let ca = pki::new_ca(30).unwrap();
        let other_ca = pki::new_ca(30).unwrap();
        let leaf = pki::issue(&ca, &node("410411"), &[], 5).unwrap();
        let material = TlsMaterial::from_pem(&ca.cert_pem, &leaf.cert_pem, &leaf.key_pem).unwrap();
        assert_eq!(material.identity(), &node("410411"));
        assert!(!format!("{material:?}").contains("PRIVATE KEY"));

        let other = pki::issue(&ca, &node("410412"), &[], 5).unwrap();
        assert!(matches!(
            TlsMaterial::from_pem(&ca.cert_pem, &leaf.cert_pem, &other.key_pem),
            Err(TlsError::KeyMismatch)
        ));
        assert!(matches!(
            TlsMaterial::from_pem(&other_ca.cert_pem, &leaf.cert_pem, &leaf.key_pem),
            Err(TlsError::NotIssuedByCa(_))
        ));
        // A bundle of the old and the new CA accepts leaves of either.
        let bundle = format!("{}{}", other_ca.cert_pem, ca.cert_pem);
        TlsMaterial::from_pem(&bundle, &leaf.cert_pem, &leaf.key_pem).unwrap();
        assert!(matches!(
            TlsMaterial::from_pem(&leaf.cert_pem, &leaf.cert_pem, &leaf.key_pem),
            Err(TlsError::NotCa(_))
        ));
        assert!(matches!(
            TlsMaterial::from_pem("hello", &leaf.cert_pem, &leaf.key_pem),
            Err(TlsError::NotPem { .. })
        ));
        assert!(matches!(
            TlsMaterial::from_pem(&ca.cert_pem, &leaf.cert_pem, "nope"),
            Err(TlsError::NotPem { .. })
        ));
        let nameless = raw_leaf(&ca, vec![]);
        assert!(matches!(
            TlsMaterial::from_pem(&ca.cert_pem, &nameless.cert_pem, &nameless.key_pem),
            Err(TlsError::Identity(_))
        ));
    }

    #[test]
    fn missing_files_are_named() {
        let dir = tempfile::tempdir().unwrap();
        let missing = dir.path().join("ca.pem");
        let error = TlsMaterial::load(&missing, &missing, &missing).unwrap_err();
        assert!(error.to_string().contains("ca.pem"), "{error}");
        std::fs::write(&missing, "garbage").unwrap();
        let error = TlsMaterial::load(&missing, &missing, &missing).unwrap_err();
        assert!(error.to_string().contains("CA file") && error.to_string().contains("ca.pem"), "{error}");
    }

    #[test]
    fn urls_must_match_the_transport() {
        let ca = pki::new_ca(30).unwrap();
        let leaf = pki::issue(&ca, &node("410411"), &[], 5).unwrap();
        let tls = Transport::Tls(Arc::new(
            TlsMaterial::from_pem(&ca.cert_pem, &leaf.cert_pem, &leaf.key_pem).unwrap(),
        ));
        connect_endpoint("https://127.0.0.1:7400", &tls).unwrap();
        connect_endpoint("http://127.0.0.1:7400", &Transport::Insecure).unwrap();
        assert!(matches!(
            connect_endpoint("http://127.0.0.1:7400", &tls),
            Err(TlsError::SchemeMismatch { .. })
        ));
        assert!(matches!(
            connect_endpoint("https://127.0.0.1:7400", &Transport::Insecure),
            Err(TlsError::SchemeMismatch { .. })
        ));
        assert!(matches!(connect_endpoint("not a url", &Transport::Insecure), Err(TlsError::BadUrl { .. })));
    }
}
