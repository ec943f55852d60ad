//! The web dashboard every node can serve on its own address
//! (`web.listen`): server-rendered pages for leaders and administrators,
//! on the same tokio/hyper/tower stack as gRPC (axum), with templates
//! checked at compile time (askama, `crates/node/templates/`), the static
//! files of [`assets`] embedded in the binary, and Chinese by default
//! (`?lang=en` or the `lang` cookie switches to English; the messages are
//! `fengqiao_i18n`'s, shared with the CLI).
//!
//! **Same identities, same rules.** [`auth`] establishes the viewer — a
//! client certificate over TLS, or a session opened by a login link — as
//! the gRPC [`Caller`](crate::caller::Caller). A page builds the gRPC
//! request, calls the service implementation in-process with the viewer as
//! its caller ([`auth::Viewer::request`]), and reads the answer into the
//! domain's read model (`fengqiao_core::read`), as the CLI does: so the
//! role × relation authorization, the refusals and the figures are
//! exactly gRPC's. A refusal is an error page, its gRPC code as the HTTP
//! status ([`http_status`]) and its text the CLI's `refusal-…` message.
//!
//! **Headers.** Every response carries a strict Content-Security-Policy
//! (no inline script or style anywhere: chart data travel as a JSON data
//! block read by a static script), `X-Content-Type-Options: nosniff`,
//! `Referrer-Policy: no-referrer`, `X-Frame-Options: DENY`, and over TLS
//! `Strict-Transport-Security`. Pages are compressed (gzip, brotli) when
//! the browser asks.
//!
//! [`pages`] holds one file per page; [`serve_web`] runs the listener in
//! the style of [`crate::metrics::serve_metrics`].

pub mod assets;
pub mod auth;
pub mod pages;
pub mod words;

use std::sync::Arc;
use std::time::Duration;

use askama::Template;
use axum::Router;
use axum::body::Bytes;
use axum::extract::{FromRequestParts, Query, State};
use axum::http::request::Parts;
use axum::http::{HeaderMap, HeaderName, HeaderValue, StatusCode, header};
use axum::response::{Html, IntoResponse, Redirect, Response};
use axum::routing::{get, post};
use fengqiao_i18n::{Lang, Messages};
use tower_http::compression::{CompressionLayer, CompressionLevel};
use tower_http::set_header::SetResponseHeaderLayer;
use tracing::{debug, warn};

use self::auth::{Credential, LinkRefused, PeerCertificate, SESSION_COOKIE, Sessions, Viewer};
use crate::{Node, TlsMaterial};

/// The Content-Security-Policy of every response.
pub const CONTENT_SECURITY_POLICY: &str = "default-src 'self'; script-src 'self'; style-src 'self'; \
     img-src 'self' data:; object-src 'none'; base-uri 'none'; frame-ancestors 'none'; form-action 'self'";

/// What every handler shares.
#[derive(Debug, Clone)]
pub struct WebState {
    node: Node,
    sessions: Arc<Sessions>,
    /// Served over TLS: cookies and HSTS say so.
    tls: bool,
}

impl WebState {
    pub fn new(node: Node, tls: bool) -> WebState {
        WebState { node, sessions: Arc::new(Sessions::default()), tls }
    }

    pub fn node(&self) -> &Node {
        &self.node
    }
}

/// The dashboard's routes and layers.
pub fn router(state: WebState) -> Router {
    let tls = state.tls;
    let header = |name: HeaderName, value: &'static str| {
        SetResponseHeaderLayer::overriding(name, HeaderValue::from_static(value))
    };
    let mut router = Router::new()
        .route("/", get(pages::overview::home))
        .route("/unit/{unit_id}", get(pages::overview::page))
        .route("/unit/{unit_id}/cases", get(pages::cases::ledger))
        .route("/unit/{unit_id}/missing", get(pages::missing::page))
        .route("/unit/{unit_id}/calendar", get(pages::calendar::page))
        .route("/unit/{unit_id}/calendar/events", get(pages::calendar::events))
        .route("/unit/{unit_id}/wages", get(pages::wages::page))
        .route("/unit/{unit_id}/export.csv", get(pages::download::csv))
        .route("/units", get(pages::units::page))
        .route("/case/{case_id}", get(pages::cases::case))
        .route("/case/{case_id}/act", post(pages::cases::act))
        .route("/weekly", get(pages::weekly::board))
        .route("/weekly/report", get(pages::weekly::report))
        .route("/weekly/act", post(pages::weekly::act))
        .route("/accountability", get(pages::accountability::page).post(pages::accountability::record))
        .route("/annual", get(pages::annual::page))
        .route("/departments", get(pages::departments::page))
        .route("/leaders", get(pages::leaders::page))
        .route("/login", get(login))
        .route("/logout", post(logout))
        .route("/static/{name}", get(assets::serve))
        .fallback(not_found)
        .with_state(state)
        .layer(CompressionLayer::new().gzip(true).br(true).quality(CompressionLevel::Precise(5)))
        .layer(header(header::CONTENT_SECURITY_POLICY, CONTENT_SECURITY_POLICY))
        .layer(header(header::X_CONTENT_TYPE_OPTIONS, "nosniff"))
        .layer(header(header::REFERRER_POLICY, "no-referrer"))
        .layer(header(header::X_FRAME_OPTIONS, "DENY"))
        // Pages carry names and, where allowed, a petitioner's personal
        // data: no copy kept on an office's shared computer. The assets set
        // their own (immutable, content-hashed).
        .layer(SetResponseHeaderLayer::if_not_present(
            header::CACHE_CONTROL,
            HeaderValue::from_static("no-store"),
        ));
    if tls {
        router = router.layer(header(header::STRICT_TRANSPORT_SECURITY, "max-age=31536000"));
    }
    router
}

/// How long a browser may take to send a request's headers.
const HEADER_TIMEOUT: Duration = Duration::from_secs(10);
/// How long shutdown waits for open requests.
const DRAIN: Duration = Duration::from_secs(5);
/// How long a TLS handshake may take.
const HANDSHAKE_TIMEOUT: Duration = Duration::from_secs(10);

/// Serves the dashboard of `node` on an already-bound `listener` until
/// `shutdown` completes: over TLS with the node's certificate when `tls`
/// is given (a client certificate asked for, not required), plaintext
/// otherwise (a loopback address: `fengqiao config` checks).
pub async fn serve_web(
    node: Node,
    listener: tokio::net::TcpListener,
    tls: Option<Arc<TlsMaterial>>,
    shutdown: impl Future<Output = ()> + Send,
) -> std::io::Result<()> {
    use hyper_util::rt::{TokioIo, TokioTimer};
    let acceptor = match &tls {
        Some(material) => Some(material.web_acceptor().map_err(std::io::Error::other)?),
        None => None,
    };
    // The dashboard's own slots, under the node's connection limits (the
    // same rules as gRPC's: a source holds at most its share, and a
    // connection that has made no request yields its slot to a newcomer).
    let admission = crate::connections::Admission::new(&node.config().limits, None);
    let app = router(WebState::new(node, tls.is_some()));
    let graceful = hyper_util::server::graceful::GracefulShutdown::new();
    let mut shutdown = std::pin::pin!(shutdown);
    while let Some(stream) = crate::connections::next_connection(&listener, &mut shutdown, "web").await {
        let source = stream.peer_addr().map_or(std::net::Ipv4Addr::UNSPECIFIED.into(), |a| a.ip());
        let ticket = match admission.admit(source) {
            Ok(ticket) => Arc::new(ticket),
            Err(refusal) => {
                debug!(%source, refusal = refusal.label(), "web: connection closed at accept");
                continue;
            }
        };
        let app = app.clone();
        let acceptor = acceptor.clone();
        let watcher = graceful.watcher();
        tokio::spawn(async move {
            let slot = Arc::clone(&ticket);
            let serve = |io, peer: Option<PeerCertificate>| {
                let service =
                    hyper::service::service_fn(move |mut request: http::Request<hyper::body::Incoming>| {
                        // A request: the connection is in use, no longer a
                        // slot to take (in plaintext, also its proof).
                        slot.prove();
                        slot.productive();
                        if let Some(peer) = &peer {
                            request.extensions_mut().insert(peer.clone());
                        }
                        tower::ServiceExt::oneshot(app.clone(), request)
                    });
                let connection = hyper::server::conn::http1::Builder::new()
                    .timer(TokioTimer::new())
                    .header_read_timeout(HEADER_TIMEOUT)
                    .serve_connection(io, service);
                watcher.watch(connection)
            };
            let connection = async {
                match acceptor {
                    None => serve(TokioIo::new(Box::new(stream) as Box<dyn Io>), None).await,
                    Some(acceptor) => {
                        let stream =
                            match tokio::time::timeout(HANDSHAKE_TIMEOUT, acceptor.accept(stream)).await {
                                Ok(Ok(stream)) => stream,
                                Ok(Err(error)) => {
                                    debug!(%error, "web: TLS handshake failed");
                                    return Ok(());
                                }
                                Err(_) => {
                                    debug!("web: TLS handshake timed out");
                                    return Ok(());
                                }
                            };
                        let peer = peer_certificate(stream.get_ref().1);
                        if peer.is_some() {
                            ticket.prove();
                        }
                        serve(TokioIo::new(Box::new(stream) as Box<dyn Io>), peer).await
                    }
                }
            };
            let result = tokio::select! {
                result = connection => result,
                () = ticket.evicted() => return debug!("web: a waiting connection yielded its slot"),
            };
            if let Err(error) = result {
                debug!(%error, "web connection ended with an error");
            }
        });
    }
    if tokio::time::timeout(DRAIN, graceful.shutdown()).await.is_err() {
        debug!("web: open requests did not finish in time");
    }
    Ok(())
}

/// A connection's stream, plain or TLS.
trait Io: tokio::io::AsyncRead + tokio::io::AsyncWrite + Unpin + Send {}
impl<T: tokio::io::AsyncRead + tokio::io::AsyncWrite + Unpin + Send> Io for T {}

/// The identity of the client certificate the TLS handshake verified
/// (rustls checked it against the CA bundle), read as gRPC reads it; none
/// when the browser presented none or it names nobody.
fn peer_certificate(connection: &tokio_rustls::rustls::ServerConnection) -> Option<PeerCertificate> {
    let leaf = connection.peer_certificates()?.first()?;
    let identity = match crate::tls::identity_of_certificate(leaf.as_ref()) {
        Ok(identity) => identity,
        Err(reason) => {
            warn!(%reason, "web: client certificate names no identity");
            return None;
        }
    };
    let name = crate::tls::display_name_of_certificate(leaf.as_ref()).ok().flatten();
    Some(PeerCertificate(identity, name.map(crate::caller::CallerName)))
}

/// The language of a request: `?lang=` first, then the `lang` cookie, then
/// Chinese.
pub fn lang_of(query: Option<&str>, headers: &HeaderMap) -> Lang {
    query
        .and_then(Lang::from_code)
        .or_else(|| cookie(headers, "lang").and_then(|v| Lang::from_code(&v)))
        .unwrap_or(Lang::Zh)
}

/// The value of cookie `name`.
pub fn cookie(headers: &HeaderMap, name: &str) -> Option<String> {
    headers
        .get_all(header::COOKIE)
        .iter()
        .filter_map(|value| value.to_str().ok())
        .flat_map(|value| value.split(';'))
        .filter_map(|pair| pair.trim().split_once('='))
        .find(|(key, _)| *key == name)
        .map(|(_, value)| value.to_owned())
}

/// What a page's template shares with every other: the language, its
/// messages, the asset URLs, the viewer's CSRF token.
#[derive(Debug, Clone)]
pub struct Chrome {
    pub lang: Lang,
    pub messages: &'static Messages,
    pub style_url: String,
    /// The viewer's CSRF token (empty without a viewer).
    pub csrf: String,
    /// Who is logged in, for the header.
    pub who: String,
    /// The path of this page with the other language's `?lang=`.
    pub switch_url: String,
    pub switch_label: String,
    /// The pages of the unit in view, for the nav bar (none without one).
    pub nav: Vec<NavLink>,
}

/// A link of the nav bar.
#[derive(Debug, Clone)]
pub struct NavLink {
    pub url: String,
    pub label: String,
}

impl Chrome {
    pub fn new(lang: Lang, path_and_query: &str) -> Chrome {
        let messages = Messages::of(lang);
        let other = match lang {
            Lang::Zh => Lang::En,
            Lang::En => Lang::Zh,
        };
        let (path, query) = path_and_query.split_once('?').unwrap_or((path_and_query, ""));
        let mut kept: Vec<&str> =
            query.split('&').filter(|pair| !pair.is_empty() && !pair.starts_with("lang=")).collect();
        let pair = format!("lang={}", other.code());
        kept.push(&pair);
        Chrome {
            lang,
            messages,
            style_url: assets::url("style.css"),
            csrf: String::new(),
            who: String::new(),
            switch_url: format!("{path}?{}", kept.join("&")),
            switch_label: Messages::of(other).text("web-language-name"),
            nav: Vec::new(),
        }
    }

    /// With the nav bar of `unit_id`'s pages; the case ledger only when
    /// the viewer may list its cases (`ledger`: an administrator may not);
    /// the pages of reports and cases (ledger, calendar, missing reports,
    /// departments, leaders) only where this node holds them (`detail`:
    /// not above the summary boundary, whose nodes below hold them).
    pub fn with_unit(mut self, unit_id: &str, ledger: bool, detail: bool) -> Chrome {
        let m = self.messages;
        let link = |url: String, key: &str| NavLink { url, label: m.text(key) };
        self.nav = vec![link(format!("/unit/{unit_id}"), "web-nav-overview")];
        if ledger && detail {
            self.nav.push(link(format!("/unit/{unit_id}/cases"), "web-nav-cases"));
        }
        if detail {
            self.nav.push(link(format!("/unit/{unit_id}/calendar"), "web-nav-calendar"));
            self.nav.push(link(format!("/unit/{unit_id}/missing"), "web-nav-missing"));
        }
        self.nav.push(link(format!("/unit/{unit_id}/wages"), "web-nav-wages"));
        self.nav.push(link(format!("/weekly?unit={unit_id}"), "web-nav-weekly"));
        self.nav.push(link(format!("/accountability?unit={unit_id}"), "web-nav-accountability"));
        self.nav.push(link(format!("/annual?unit={unit_id}"), "web-nav-annual"));
        if detail {
            self.nav.push(link(format!("/departments?unit={unit_id}"), "web-nav-departments"));
        }
        self.nav.push(link(format!("/units?root={unit_id}"), "web-nav-units"));
        if detail {
            self.nav.push(link("/leaders".to_owned(), "web-nav-leaders"));
        }
        self
    }

    /// A message (what templates call; keys are literals, which
    /// `crates/cli/tests/i18n_keys.rs` finds and checks).
    pub fn text(&self, key: &str) -> String {
        self.messages.text(key)
    }

    /// With the viewer: the CSRF token of the logout form and who is logged in.
    pub fn for_viewer(mut self, sessions: &Sessions, viewer: &Viewer) -> Chrome {
        self.csrf = sessions.csrf_token(viewer);
        let role = self.messages.name("role", viewer.identity.role().map_or("node", |r| r.as_str()));
        let who = match (&viewer.identity, &viewer.name) {
            (_, Some(name)) => name.0.to_string(),
            (fengqiao_core::identity::Identity::Person { id, .. }, None) => id.clone(),
            (identity, None) => identity.to_string(),
        };
        self.who = format!("{who} · {role} · {}", viewer.identity.unit());
        self
    }
}

/// The error page.
#[derive(Debug, Template)]
#[template(path = "error.html")]
pub struct ErrorPage {
    pub chrome: Chrome,
    pub title: String,
    pub text: String,
}

/// A page that could not be shown: its HTTP status and what to say.
#[derive(Debug)]
pub struct PageError {
    pub status: StatusCode,
    pub lang: Lang,
    pub title_key: &'static str,
    pub text: String,
}

impl PageError {
    /// A gRPC refusal as a page: its code as the HTTP status, its text in
    /// the reader's language.
    pub fn refused(lang: Lang, status: &tonic::Status) -> PageError {
        PageError {
            status: http_status(status.code()),
            lang,
            title_key: "web-refused-title",
            text: refusal_text(Messages::of(lang), status),
        }
    }
}

impl IntoResponse for PageError {
    fn into_response(self) -> Response {
        let chrome = Chrome::new(self.lang, "/");
        let title = chrome.text(self.title_key);
        render(self.status, &ErrorPage { chrome, title, text: self.text })
    }
}

/// Renders a template as an HTML response with `status`.
pub fn render(status: StatusCode, template: &impl Template) -> Response {
    match template.render() {
        Ok(html) => (status, Html(html)).into_response(),
        Err(error) => {
            warn!(%error, "web: a template failed to render");
            (StatusCode::INTERNAL_SERVER_ERROR, "internal error\n").into_response()
        }
    }
}

/// The HTTP status of a gRPC code.
pub fn http_status(code: tonic::Code) -> StatusCode {
    use tonic::Code::*;
    match code {
        Ok => StatusCode::OK,
        InvalidArgument | OutOfRange | FailedPrecondition => StatusCode::BAD_REQUEST,
        Unauthenticated => StatusCode::UNAUTHORIZED,
        PermissionDenied => StatusCode::FORBIDDEN,
        NotFound => StatusCode::NOT_FOUND,
        AlreadyExists | Aborted => StatusCode::CONFLICT,
        ResourceExhausted => StatusCode::TOO_MANY_REQUESTS,
        Unimplemented => StatusCode::NOT_IMPLEMENTED,
        Unavailable => StatusCode::SERVICE_UNAVAILABLE,
        DeadlineExceeded => StatusCode::GATEWAY_TIMEOUT,
        Cancelled | Unknown | Internal | DataLoss => StatusCode::INTERNAL_SERVER_ERROR,
    }
}

/// A node's refusal in the reader's language: the message of its
/// `google.rpc.ErrorInfo` code (`refusal-…`) with its values, after the
/// field it names; the node's own English sentence for a status without a
/// code, or with a code the message files lack (a newer node). The CLI
/// reads refusals with this too.
pub fn refusal_text(messages: &Messages, status: &tonic::Status) -> String {
    use tonic_types::StatusExt;
    let details = status.get_error_details();
    let Some(info) = details.error_info().filter(|info| info.domain == fengqiao_core::error::ERROR_DOMAIN)
    else {
        return status.message().to_owned();
    };
    let values: Vec<(String, String)> = info
        .metadata
        .iter()
        .filter(|(name, _)| name.as_str() != "field")
        .map(|(name, value)| (name.clone(), value.clone()))
        .collect();
    let key = fengqiao_core::error::Why::message_key(&info.reason);
    let Some(reason) = messages.text_if_known(&key, &values) else { return status.message().to_owned() };
    match info.metadata.get("field") {
        Some(field) => fengqiao_i18n::tr_in!(messages, "refusal-field", field = field, reason = reason),
        None => reason,
    }
}

/// The viewer of a page; without one, a redirect to the login page.
impl FromRequestParts<WebState> for Viewer {
    type Rejection = Response;

    async fn from_request_parts(parts: &mut Parts, state: &WebState) -> Result<Viewer, Response> {
        if let Some(PeerCertificate(identity, name)) = parts.extensions.get::<PeerCertificate>() {
            return Ok(Viewer {
                identity: identity.clone(),
                name: name.clone(),
                by: Credential::Certificate,
            });
        }
        let now = state.node.clock().now();
        if let Some(id) = cookie(&parts.headers, SESSION_COOKIE)
            && let Some(identity) = state.sessions.identity(&id, now)
        {
            return Ok(Viewer { identity, name: None, by: Credential::Session(id) });
        }
        Err(Redirect::to("/login").into_response())
    }
}

/// The login page: how to get in.
#[derive(Debug, Template)]
#[template(path = "login.html")]
pub struct LoginPage {
    pub chrome: Chrome,
}

#[derive(Debug, serde::Deserialize)]
pub struct LoginQuery {
    token: Option<String>,
    lang: Option<String>,
}

/// `GET /login?token=…`: opens a session with a login link; without a
/// token, says how to get one (401).
async fn login(
    State(state): State<WebState>,
    Query(query): Query<LoginQuery>,
    headers: HeaderMap,
) -> Response {
    let lang = lang_of(query.lang.as_deref(), &headers);
    let Some(token) = query.token.filter(|t| !t.is_empty()) else {
        return render(StatusCode::UNAUTHORIZED, &LoginPage { chrome: Chrome::new(lang, "/login") });
    };
    let now = state.node.clock().now();
    let refused = |key: &'static str| {
        PageError {
            status: StatusCode::FORBIDDEN,
            lang,
            title_key: "web-login-refused-title",
            text: Messages::of(lang).text(key),
        }
        .into_response()
    };
    match auth::open_login_link(state.node.store().as_ref(), &token, now).await {
        Err(error) => {
            warn!(%error, "web: a login link could not be read");
            PageError::refused(lang, &crate::NodeError::from(error).into()).into_response()
        }
        Ok(Err(LinkRefused::Used)) => refused("web-login-used"),
        Ok(Err(LinkRefused::Expired)) => refused("web-login-expired"),
        Ok(Err(LinkRefused::Unknown)) => refused("web-login-unknown"),
        Ok(Ok(identity)) => {
            tracing::info!(unit = %identity.unit(), "web: session opened by a login link");
            let id = state.sessions.open(identity, now);
            let cookie = format!(
                "{SESSION_COOKIE}={id}; HttpOnly; Secure; SameSite=Strict; Path=/; Max-Age={}",
                auth::SESSION_LIFETIME.num_seconds()
            );
            let mut response = Redirect::to("/").into_response();
            if let Ok(value) = HeaderValue::from_str(&cookie) {
                response.headers_mut().insert(header::SET_COOKIE, value);
            }
            response
        }
    }
}

/// The `csrf` field of a form body (`application/x-www-form-urlencoded`);
/// empty when the body has none, whatever its type says: a POST without
/// the token is refused as such (403), not as a malformed form.
pub fn csrf_field(body: &[u8]) -> String {
    String::from_utf8_lossy(body)
        .split('&')
        .find_map(|pair| pair.strip_prefix("csrf="))
        .unwrap_or_default()
        .to_owned()
}

/// Refuses a POST whose form lacks the viewer's CSRF token (403, nothing
/// changed).
pub fn check_csrf(
    state: &WebState,
    viewer: &Viewer,
    token: &str,
    headers: &HeaderMap,
) -> Result<(), PageError> {
    if state.sessions.csrf_valid(viewer, token) {
        return Ok(());
    }
    warn!(unit = %viewer.identity.unit(), "web: a form without its CSRF token was refused");
    let lang = lang_of(None, headers);
    Err(PageError {
        status: StatusCode::FORBIDDEN,
        lang,
        title_key: "web-refused-title",
        text: Messages::of(lang).text("web-csrf-refused"),
    })
}

/// `POST /logout`: ends the session.
async fn logout(State(state): State<WebState>, viewer: Viewer, headers: HeaderMap, body: Bytes) -> Response {
    if let Err(refused) = check_csrf(&state, &viewer, &csrf_field(&body), &headers) {
        return refused.into_response();
    }
    if let Credential::Session(id) = &viewer.by {
        state.sessions.close(id);
    }
    let mut response = Redirect::to("/login").into_response();
    let expired = format!("{SESSION_COOKIE}=; HttpOnly; Secure; SameSite=Strict; Path=/; Max-Age=0");
    if let Ok(value) = HeaderValue::from_str(&expired) {
        response.headers_mut().insert(header::SET_COOKIE, value);
    }
    response
}

async fn not_found(headers: HeaderMap) -> Response {
    let lang = lang_of(None, &headers);
    PageError {
        status: StatusCode::NOT_FOUND,
        lang,
        title_key: "web-not-found-title",
        text: Messages::of(lang).text("web-not-found"),
    }
    .into_response()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_csrf_field_is_read_from_any_body() {
        assert_eq!(csrf_field(b"a=1&csrf=00ff&b=2"), "00ff");
        assert_eq!(csrf_field(b""), "");
        assert_eq!(csrf_field(b"xcsrf=1"), "");
    }

    #[test]
    fn grpc_codes_map_to_http() {
        assert_eq!(http_status(tonic::Code::PermissionDenied), StatusCode::FORBIDDEN);
        assert_eq!(http_status(tonic::Code::NotFound), StatusCode::NOT_FOUND);
        assert_eq!(http_status(tonic::Code::InvalidArgument), StatusCode::BAD_REQUEST);
        assert_eq!(http_status(tonic::Code::Unauthenticated), StatusCode::UNAUTHORIZED);
    }

    #[test]
    fn the_language_switch_keeps_the_query() {
        let chrome = Chrome::new(Lang::Zh, "/unit/410411?week=2026-W48&lang=zh");
        assert_eq!(chrome.switch_url, "/unit/410411?week=2026-W48&lang=en");
        assert_eq!(lang_of(Some("en"), &HeaderMap::new()), Lang::En);
        let mut headers = HeaderMap::new();
        headers.insert(header::COOKIE, HeaderValue::from_static("a=b; lang=en"));
        assert_eq!(lang_of(None, &headers), Lang::En);
        assert_eq!(lang_of(None, &HeaderMap::new()), Lang::Zh);
    }
}
