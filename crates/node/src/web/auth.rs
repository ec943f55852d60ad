//! Who is looking at a page, and how they got there.
//!
//! The identity is the gRPC one, [`Caller`]: a browser that presents a
//! client certificate of the deployment CA (the web listener over TLS asks
//! for one) *is* the certificate's identity, read from its one URI SAN as
//! gRPC reads it. Without one, a person opens a session with a **login
//! link**: `fengqiao web link` on the node's host issues a random 256-bit
//! token for a person, role and unit ([`issue_login_link`]), stores only its
//! SHA-256 with an expiry (15 minutes by default) and prints
//! `http(s)://<web.listen>/login?token=…`. Opening it uses the token up
//! (atomically, in the store: a second opening is refused, as is an expired
//! link) and starts a session: a random 256-bit id in an `HttpOnly; Secure;
//! SameSite=Strict` cookie, held in this process's memory for 8 hours. The
//! issuer is whoever operates the host, as with a notebook server's token.
//! Both the issue (for whom, until when) and the opening (by whom) are in
//! the audit log.
//!
//! Every form that changes something carries a CSRF token, the HMAC of the
//! session id (or of the certificate's identity) under a key this process
//! drew at start; a POST without the right one is refused (403) before
//! anything happens.

use std::collections::HashMap;
use std::sync::Mutex;

use chrono::{DateTime, Duration, Utc};
use fengqiao_core::UnitId;
use fengqiao_core::audit::AuditRecord;
use fengqiao_core::identity::{Identity, Role};
use fengqiao_store::{LoginToken, LoginTokenUse, Store, StoreError};
use hmac::Mac;
use sha2::{Digest, Sha256};

use crate::caller::{Caller, CallerName};

/// How long a login link stays valid unless told otherwise.
pub const LINK_LIFETIME: Duration = Duration::minutes(15);
/// How long a session lasts.
pub const SESSION_LIFETIME: Duration = Duration::hours(8);
/// The session cookie's name.
pub const SESSION_COOKIE: &str = "fengqiao_session";
/// The audit log's actor of a login link's issue: whoever operates the
/// node's host (the command reads the node's configuration and store).
pub const LINK_ISSUER: &str = "node-host:fengqiao web link";

/// A login link just issued: the token (shown once, never stored) and
/// when it expires.
#[derive(Debug, Clone)]
pub struct LoginLink {
    pub token: String,
    pub expires_at: DateTime<Utc>,
}

impl LoginLink {
    /// The URL to open: `scheme://address/login?token=…`.
    pub fn url(&self, scheme: &str, address: &str) -> String {
        format!("{scheme}://{address}/login?token={}", self.token)
    }
}

/// The hex SHA-256 of a token, as the store keeps it.
pub fn token_hash(token: &str) -> String {
    hex::encode(Sha256::digest(token.as_bytes()))
}

/// Issues a login link for `person` with `role` at `unit`, valid for
/// `lifetime` from `now`: stores the token's hash and returns the token.
pub async fn issue_login_link(
    store: &dyn Store,
    unit: &UnitId,
    person: &str,
    role: Role,
    now: DateTime<Utc>,
    lifetime: Duration,
) -> Result<LoginLink, IssueError> {
    // The identity a certificate would carry: the same checks of the id.
    Identity::person(person, unit.clone(), role).map_err(IssueError::Person)?;
    let token = hex::encode(rand::random::<[u8; 32]>());
    let expires_at = now + lifetime;
    store
        .insert_login_token(&LoginToken {
            token_hash: token_hash(&token),
            unit_id: unit.to_string(),
            person: person.to_owned(),
            role: role.as_str().to_owned(),
            created_at: now,
            expires_at,
            used_at: None,
        })
        .await?;
    // In the audit log before the token is shown: a link whose issue is not
    // recorded is never printed, so it opens nothing.
    let target =
        format!("unit={unit} person={person} role={} expires={}", role.as_str(), expires_at.to_rfc3339());
    store.append_audit(vec![AuditRecord::new(now, LINK_ISSUER, "web/login-link", target)]).await?;
    tracing::info!(unit = %unit, role = role.as_str(), %expires_at, "web login link issued");
    Ok(LoginLink { token, expires_at })
}

/// Why a login link could not be issued.
#[derive(Debug, thiserror::Error)]
pub enum IssueError {
    #[error("{0}")]
    Person(fengqiao_core::DomainError),
    #[error(transparent)]
    Store(#[from] StoreError),
}

/// Why a login link was refused.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum LinkRefused {
    /// Opened before: a link logs in once.
    Used,
    /// Past its expiry.
    Expired,
    /// No such link (mistyped, or from another node).
    Unknown,
}

/// Uses up the login link `token` at `now`: the identity it logs in, or
/// why not.
pub async fn open_login_link(
    store: &dyn Store,
    token: &str,
    now: DateTime<Utc>,
) -> Result<Result<Identity, LinkRefused>, StoreError> {
    let token = match store.use_login_token(&token_hash(token), now).await? {
        LoginTokenUse::Opened(token) => token,
        LoginTokenUse::AlreadyUsed => return Ok(Err(LinkRefused::Used)),
        LoginTokenUse::Unknown => return Ok(Err(LinkRefused::Unknown)),
    };
    if token.expires_at <= now {
        return Ok(Err(LinkRefused::Expired));
    }
    let identity = UnitId::parse(&token.unit_id).ok().and_then(|unit| {
        let role = Role::parse(&token.role)?;
        Identity::person(&token.person, unit, role).ok()
    });
    // Written by `issue_login_link` after the same checks: a row that does
    // not read back was not written by it.
    let Some(identity) = identity else { return Ok(Err(LinkRefused::Unknown)) };
    let record = AuditRecord::new(now, identity.to_uri(), "web/login", "a session opened by a login link");
    store.append_audit(vec![record]).await?;
    Ok(Ok(identity))
}

/// One open session.
#[derive(Debug, Clone)]
struct Session {
    identity: Identity,
    expires_at: DateTime<Utc>,
}

/// The sessions this process holds (they end with it), and the key CSRF
/// tokens are made with.
#[derive(Debug)]
pub struct Sessions {
    open: Mutex<HashMap<String, Session>>,
    csrf_key: [u8; 32],
}

impl Default for Sessions {
    fn default() -> Self {
        Sessions { open: Mutex::new(HashMap::new()), csrf_key: rand::random() }
    }
}

impl Sessions {
    /// Opens a session for `identity` at `now`; returns its id (the cookie's value).
    pub fn open(&self, identity: Identity, now: DateTime<Utc>) -> String {
        let id = hex::encode(rand::random::<[u8; 32]>());
        let mut open = self.open.lock().unwrap_or_else(|poisoned| poisoned.into_inner());
        // Expired sessions leave when a new one comes: the table stays as
        // small as the sessions of the last 8 hours.
        open.retain(|_, session| session.expires_at > now);
        open.insert(id.clone(), Session { identity, expires_at: now + SESSION_LIFETIME });
        id
    }

    /// The identity of the session `id`, when it is open at `now`.
    pub fn identity(&self, id: &str, now: DateTime<Utc>) -> Option<Identity> {
        let open = self.open.lock().unwrap_or_else(|poisoned| poisoned.into_inner());
        open.get(id).filter(|session| session.expires_at > now).map(|session| session.identity.clone())
    }

    /// Ends the session `id`.
    pub fn close(&self, id: &str) {
        self.open.lock().unwrap_or_else(|poisoned| poisoned.into_inner()).remove(id);
    }

    fn mac(&self, subject: &str) -> hmac::Hmac<Sha256> {
        let mut mac =
            <hmac::Hmac<Sha256> as Mac>::new_from_slice(&self.csrf_key).expect("HMAC takes any key length");
        mac.update(b"fengqiao web csrf\0");
        mac.update(subject.as_bytes());
        mac
    }

    /// The CSRF token of a viewer's forms.
    pub fn csrf_token(&self, viewer: &Viewer) -> String {
        hex::encode(self.mac(&viewer.csrf_subject()).finalize().into_bytes())
    }

    /// Whether `token` is the viewer's CSRF token (compared in constant time).
    pub fn csrf_valid(&self, viewer: &Viewer, token: &str) -> bool {
        let Ok(bytes) = hex::decode(token.trim()) else { return false };
        self.mac(&viewer.csrf_subject()).verify_slice(&bytes).is_ok()
    }
}

/// Who is looking, and by what right.
#[derive(Debug, Clone)]
pub struct Viewer {
    pub identity: Identity,
    /// The display name a certificate carries.
    pub name: Option<CallerName>,
    pub by: Credential,
}

/// How a viewer proved who they are.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Credential {
    /// A client certificate of the deployment CA.
    Certificate,
    /// A session opened by a login link (its id).
    Session(String),
}

impl Viewer {
    /// What the request to a service carries as its caller: the same as a
    /// gRPC call by this person would.
    pub fn caller(&self) -> Caller {
        Caller::Verified(self.identity.clone())
    }

    fn csrf_subject(&self) -> String {
        match &self.by {
            Credential::Certificate => format!("certificate {}", self.identity.to_uri()),
            Credential::Session(id) => format!("session {id}"),
        }
    }

    /// A `tonic::Request` carrying this viewer as its caller, as the gRPC
    /// server's caller layer puts it in the extensions.
    pub fn request<T>(&self, message: T) -> tonic::Request<T> {
        let mut request = tonic::Request::new(message);
        request.extensions_mut().insert(self.caller());
        if let Some(name) = &self.name {
            request.extensions_mut().insert(name.clone());
        }
        request
    }
}

/// The identity of the client certificate a connection presented, put
/// into each of its requests' extensions by the accept loop.
#[derive(Debug, Clone)]
pub struct PeerCertificate(pub Identity, pub Option<CallerName>);

#[cfg(test)]
mod tests {
    use super::*;

    fn person() -> Identity {
        Identity::person("zhang", UnitId::parse("410411").unwrap(), Role::Leader).unwrap()
    }

    #[test]
    fn sessions_expire_and_close() {
        let sessions = Sessions::default();
        let now = Utc::now();
        let id = sessions.open(person(), now);
        assert_eq!(id.len(), 64);
        assert_eq!(sessions.identity(&id, now), Some(person()));
        assert_eq!(sessions.identity(&id, now + SESSION_LIFETIME), None);
        sessions.close(&id);
        assert_eq!(sessions.identity(&id, now), None);
        assert_eq!(sessions.identity("not a session", now), None);
    }

    #[test]
    fn csrf_tokens_are_bound_to_the_session() {
        let sessions = Sessions::default();
        let viewer = |id: &str| Viewer { identity: person(), name: None, by: Credential::Session(id.into()) };
        let token = sessions.csrf_token(&viewer("a"));
        assert!(sessions.csrf_valid(&viewer("a"), &token));
        assert!(!sessions.csrf_valid(&viewer("b"), &token));
        assert!(!sessions.csrf_valid(&viewer("a"), ""));
        assert!(!sessions.csrf_valid(&viewer("a"), "zz"));
        let other = Sessions::default();
        assert!(!other.csrf_valid(&viewer("a"), &token), "the key is drawn per process");
    }
}
