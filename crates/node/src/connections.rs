// Long (~700 lines, ~80 of them tests): admission, the accept loop and each
// connection's HTTP/2 driving share the slot state (`Shared`, `Ticket`): one mechanism.
//! A connection's life, from accept to close: who gets a slot, how long a
//! connection may take to become useful, and when an idle one is reclaimed.
//! The node runs its own accept loop and HTTP/2 connections (hyper) so that
//! it can bound the whole way from accept to the first request and close an
//! idle connection with a GOAWAY; tonic's server offers neither (a TLS
//! handshake timeout only, and no idle limit).
//!
//! **Slots** ([`Admission`]). A node holds at most `max_connections`. A
//! connection is *unproven* from accept until it shows who it is: under
//! mTLS, until its TLS handshake completes with a certificate of the
//! deployment CA; in plaintext (local tests only), until its first request.
//! Unproven connections may hold at most `max_connections −
//! reserved_connections` slots, so the reserve is always there for callers
//! with a certificate, however many anonymous sockets arrive. One source
//! address holds at most `max_connections_per_source` slots; one more from
//! it is closed at accept. When the unproven slots (or all slots) are taken,
//! a newcomer is not simply turned away: it takes the slot of a connection
//! that has not yet made a request — the oldest one of the source holding
//! most such connections — provided that source holds at least two more of
//! them than the newcomer's own (so that after the swap it still holds at
//! least as many); the displaced connection is closed. So sockets that
//! connect and wait, reopened as fast as they are closed, cannot keep a
//! caller from another address out, and the flooders' reopened sockets do
//! not displace each other round and round. A newcomer that can displace
//! nobody is closed at accept. An attacker holding one waiting connection
//! on each of as many addresses as there are slots competes with other
//! newcomers on equal terms; callers already proven keep their connections
//! and the reserve.
//!
//! **Deadlines** (per connection). From accept, a connection has
//! `handshake_timeout` to complete its TLS handshake, send the HTTP/2
//! preface and the headers of its first request, all together: a deadline,
//! not a per-read timeout, so sending a byte a second does not stretch it.
//! Past it the connection is closed (a GOAWAY when it speaks HTTP/2, then
//! dropped after [`CLOSE_GRACE`]). After its first request a connection
//! with no call open for `idle_timeout` is sent a GOAWAY and closed; a
//! client simply connects again for its next call. HTTP/2 pings (every
//! `keepalive_interval`, answered within `keepalive_timeout`) close a
//! connection whose peer stopped answering, and `max_streams_per_connection`
//! bounds the calls one connection may have open.
//!
//! **Shutdown.** When the shutdown future completes the listener is closed
//! at once, connections that have made no request are dropped, the others
//! are sent a GOAWAY, and [`serve`] returns when their calls in flight have
//! finished (each connection is dropped at the latest `request_timeout` +
//! [`CLOSE_GRACE`] after shutdown began).

use std::collections::HashMap;
use std::future::Future;
use std::net::IpAddr;
use std::pin::Pin;
use std::sync::{Arc, Mutex};
use std::task::{Context, Poll};
use std::time::Duration;

use bytes::Bytes;
use http_body::{Body as HttpBody, Frame, SizeHint};
use hyper::body::Incoming;
use hyper_util::rt::{TokioExecutor, TokioIo, TokioTimer};
use tokio::net::{TcpListener, TcpStream};
use tokio::sync::{Notify, watch};
use tokio::task::JoinSet;
use tokio::time::Instant;
use tokio_rustls::TlsAcceptor;
use tonic::body::Body;
use tonic::transport::server::{Connected, TcpConnectInfo, TlsConnectInfo};
use tower::ServiceExt;

use crate::limits::Limits;
use crate::metrics::Metrics;

/// How long a connection that was sent a GOAWAY (past its deadline, or
/// idle) has to close before it is dropped.
pub const CLOSE_GRACE: Duration = Duration::from_secs(1);

/// Why a connection was closed at accept.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Refusal {
    /// Its source address already holds `max_connections_per_source`.
    SourceLimit,
    /// Every slot holds a connection that has made a request.
    Full,
}

impl Refusal {
    /// The metric label.
    pub fn label(self) -> &'static str {
        match self {
            Refusal::SourceLimit => "source_limit",
            Refusal::Full => "full",
        }
    }
}

/// The connection slots of one server (see the module docs).
#[derive(Debug)]
pub struct Admission {
    table: Mutex<Table>,
    max: usize,
    max_unproven: usize,
    per_source: usize,
    metrics: Option<Arc<Metrics>>,
}

#[derive(Debug, Default)]
struct Table {
    entries: HashMap<u64, Entry>,
    per_source: HashMap<IpAddr, usize>,
    unproven: usize,
    next_id: u64,
}

#[derive(Debug)]
struct Entry {
    source: IpAddr,
    /// A certificate of the deployment CA (or, in plaintext, a request).
    proven: bool,
    /// Its first request has arrived.
    productive: bool,
    evict: Arc<Notify>,
}

impl Admission {
    pub fn new(limits: &Limits, metrics: Option<Arc<Metrics>>) -> Arc<Admission> {
        let max = limits.max_connections.max(1);
        Arc::new(Admission {
            table: Mutex::new(Table::default()),
            max,
            max_unproven: max.saturating_sub(limits.reserved_connections).max(1),
            per_source: limits.max_connections_per_source.max(1),
            metrics,
        })
    }

    /// A slot for a new connection from `source`, taking the slot of an
    /// unproductive connection when none is free (that connection's
    /// [`Ticket::evicted`] completes), or why it gets none.
    pub fn admit(self: &Arc<Self>, source: IpAddr) -> Result<Ticket, Refusal> {
        let mut table = self.table.lock().expect("the connection table is never poisoned");
        if table.per_source.get(&source).copied().unwrap_or(0) >= self.per_source {
            return Err(Refusal::SourceLimit);
        }
        if table.entries.len() >= self.max && !self.evict(&mut table, source, |entry| !entry.productive) {
            return Err(Refusal::Full);
        }
        if table.unproven >= self.max_unproven && !self.evict(&mut table, source, |entry| !entry.proven) {
            return Err(Refusal::Full);
        }
        let id = table.next_id;
        table.next_id += 1;
        let evict = Arc::new(Notify::new());
        table
            .entries
            .insert(id, Entry { source, proven: false, productive: false, evict: Arc::clone(&evict) });
        *table.per_source.entry(source).or_default() += 1;
        table.unproven += 1;
        self.publish(&table);
        Ok(Ticket { id, admission: Arc::clone(self), evict })
    }

    /// Frees the slot of one connection matching `candidate` for a newcomer
    /// from `newcomer`: the oldest of the source holding most of them, if
    /// that source then still holds at least as many as the newcomer's —
    /// a swap only ever evens the sources out, so displaced connections
    /// coming back cannot displace each other in turn. False when there is
    /// no such connection.
    fn evict(&self, table: &mut Table, newcomer: IpAddr, candidate: impl Fn(&Entry) -> bool) -> bool {
        let mut by_source: HashMap<IpAddr, (usize, u64)> = HashMap::new();
        for (id, entry) in table.entries.iter().filter(|(_, entry)| candidate(entry)) {
            let (count, oldest) = by_source.entry(entry.source).or_insert((0, u64::MAX));
            *count += 1;
            *oldest = (*oldest).min(*id);
        }
        let newcomers_own = by_source.get(&newcomer).map_or(0, |(count, _)| *count);
        // Most connections first; among equals, the one holding the oldest.
        let Some((_, (count, victim))) =
            by_source.into_iter().max_by_key(|(_, (count, oldest))| (*count, std::cmp::Reverse(*oldest)))
        else {
            return false;
        };
        if count < newcomers_own + 2 {
            return false;
        }
        if let Some(entry) = Table::remove(table, victim) {
            entry.evict.notify_one();
            tracing::debug!(source = %entry.source, "connection slots taken: the oldest waiting connection of the busiest source closed");
            if let Some(metrics) = &self.metrics {
                metrics.connection_reclaimed("evicted");
            }
        }
        true
    }

    /// Applies `change` to connection `id`'s entry (which says whether it
    /// changed anything); false when the connection holds no slot any more.
    fn update(&self, id: u64, change: impl FnOnce(&mut Entry) -> bool) -> bool {
        let mut table = self.table.lock().expect("the connection table is never poisoned");
        let Some(entry) = table.entries.get_mut(&id) else { return false };
        let was_proven = entry.proven;
        if change(entry) {
            if entry.proven && !was_proven {
                table.unproven -= 1;
            }
            self.publish(&table);
        }
        true
    }

    fn release(&self, id: u64) {
        let mut table = self.table.lock().expect("the connection table is never poisoned");
        if Table::remove(&mut table, id).is_some() {
            self.publish(&table);
        }
    }

    fn publish(&self, table: &Table) {
        if let Some(metrics) = &self.metrics {
            metrics.connections_open(table.unproven, table.entries.len() - table.unproven);
        }
    }

    /// Open connections: (unproven, proven).
    pub fn open(&self) -> (usize, usize) {
        let table = self.table.lock().expect("the connection table is never poisoned");
        (table.unproven, table.entries.len() - table.unproven)
    }
}

impl Table {
    fn remove(table: &mut Table, id: u64) -> Option<Entry> {
        let entry = table.entries.remove(&id)?;
        if let Some(count) = table.per_source.get_mut(&entry.source) {
            *count -= 1;
            if *count == 0 {
                table.per_source.remove(&entry.source);
            }
        }
        if !entry.proven {
            table.unproven -= 1;
        }
        Some(entry)
    }
}

/// A connection's slot: freed when dropped (or when the connection is
/// evicted, whichever comes first).
#[derive(Debug)]
pub struct Ticket {
    id: u64,
    admission: Arc<Admission>,
    evict: Arc<Notify>,
}

impl Ticket {
    /// The connection proved who it is: it no longer counts against the
    /// unproven slots.
    pub fn prove(&self) {
        self.admission.update(self.id, |entry| !std::mem::replace(&mut entry.proven, true));
    }

    /// The connection made its first request: it can no longer be evicted.
    /// False when it was evicted already (its slot is another's).
    pub fn productive(&self) -> bool {
        self.admission.update(self.id, |entry| !std::mem::replace(&mut entry.productive, true))
    }

    /// Completes when another connection took this one's slot.
    pub async fn evicted(&self) {
        self.evict.notified().await;
    }
}

impl Drop for Ticket {
    fn drop(&mut self) {
        self.admission.release(self.id);
    }
}

/// What a connection says about its peer: put into every request's
/// extensions, as tonic's own server does (`TcpConnectInfo`, and under TLS
/// `TlsConnectInfo` with the verified certificates).
#[derive(Debug, Clone)]
enum PeerInfo {
    Tcp(TcpConnectInfo),
    Tls(TlsConnectInfo<TcpConnectInfo>),
}

/// The calls open on one connection and whether it has made one yet.
#[derive(Debug, Clone, Copy)]
struct Activity {
    open_calls: usize,
    requests: u64,
    idle_since: Instant,
}

/// Everything the connections of one server share.
struct Shared<S> {
    service: S,
    admission: Arc<Admission>,
    tls: Option<TlsAcceptor>,
    http2: hyper::server::conn::http2::Builder<TokioExecutor>,
    handshake_timeout: Duration,
    idle_timeout: Duration,
    /// How long a connection may take to close after shutdown began.
    drain_limit: Duration,
    metrics: Option<Arc<Metrics>>,
}

/// The service stack every request goes through.
pub trait RequestService:
    tower::Service<
        http::Request<Body>,
        Response = http::Response<Body>,
        Error = std::convert::Infallible,
        Future: Send + 'static,
    > + Clone
    + Send
    + Sync
    + 'static
{
}

impl<S> RequestService for S where
    S: tower::Service<
            http::Request<Body>,
            Response = http::Response<Body>,
            Error = std::convert::Infallible,
            Future: Send + 'static,
        > + Clone
        + Send
        + Sync
        + 'static
{
}

/// Serves `service` on `listener` under the connection limits until
/// `shutdown` completes; then closes the listener, drops the connections
/// that have made no request, sends the others a GOAWAY and returns when
/// they have closed (see the module docs). Under TLS (`tls`) every
/// connection must complete the handshake (the acceptor demands a client
/// certificate).
pub async fn serve<S: RequestService>(
    listener: TcpListener,
    service: S,
    tls: Option<TlsAcceptor>,
    limits: &Limits,
    metrics: Option<Arc<Metrics>>,
    shutdown: impl Future<Output = ()>,
) {
    let mut http2 = hyper::server::conn::http2::Builder::new(TokioExecutor::new());
    http2
        .timer(TokioTimer::new())
        .max_concurrent_streams(limits.max_streams_per_connection)
        .keep_alive_interval(Some(limits.keepalive_interval))
        .keep_alive_timeout(limits.keepalive_timeout)
        // As tonic's server: no cap on streams reset by the server. A call
        // refused at once (rate limit, load shedding) while its request is
        // still arriving ends in a reset; hyper's default cap (1024 per
        // connection) would close a busy caller's connection instead of
        // answering it. The per-call limits bound the work.
        .max_local_error_reset_streams(None);
    let shared = Arc::new(Shared {
        service,
        admission: Admission::new(limits, metrics.clone()),
        tls,
        http2,
        handshake_timeout: limits.handshake_timeout,
        idle_timeout: limits.idle_timeout,
        drain_limit: limits.request_timeout + CLOSE_GRACE,
        metrics,
    });
    let keepalive = socket2::TcpKeepalive::new().with_time(limits.tcp_keepalive);
    let (stop, stopping) = watch::channel(false);
    let mut connections = JoinSet::new();
    let mut shutdown = std::pin::pin!(shutdown);
    loop {
        tokio::select! {
            () = &mut shutdown => break,
            Some(_) = connections.join_next(), if !connections.is_empty() => {}
            accepted = listener.accept() => {
                let (stream, peer) = match accepted {
                    Ok(accepted) => accepted,
                    Err(error) => {
                        // Out of file descriptors and the like: say so and
                        // let connections close before accepting again.
                        tracing::warn!(%error, "accept failed");
                        tokio::time::sleep(Duration::from_millis(50)).await;
                        continue;
                    }
                };
                let ticket = match shared.admission.admit(peer.ip()) {
                    Ok(ticket) => ticket,
                    Err(refusal) => {
                        tracing::debug!(source = %peer.ip(), reason = refusal.label(), "connection closed at accept");
                        if let Some(metrics) = &shared.metrics {
                            metrics.connection_refused(refusal.label());
                        }
                        continue;
                    }
                };
                // Nagle's algorithm off: a response that spans more than one
                // segment would otherwise wait for the client's delayed ACK.
                let _ = stream.set_nodelay(true);
                let _ = socket2::SockRef::from(&stream).set_tcp_keepalive(&keepalive);
                connections.spawn(connection(stream, ticket, Arc::clone(&shared), stopping.clone()));
            }
        }
    }
    drop(listener);
    let _ = stop.send(true);
    while connections.join_next().await.is_some() {}
}

/// One connection, from accept to close.
async fn connection<S: RequestService>(
    stream: TcpStream,
    ticket: Ticket,
    shared: Arc<Shared<S>>,
    mut stopping: watch::Receiver<bool>,
) {
    let deadline = Instant::now() + shared.handshake_timeout;
    let tcp = stream.connect_info();
    let Some(acceptor) = &shared.tls else {
        serve_http(stream, PeerInfo::Tcp(tcp), true, ticket, &shared, deadline, stopping).await;
        return;
    };
    let handshake = tokio::time::timeout_at(deadline, acceptor.accept(stream));
    let tls = tokio::select! {
        finished = handshake => match finished {
            Ok(Ok(tls)) => tls,
            Ok(Err(error)) => {
                tracing::debug!(%error, "TLS handshake failed: connection closed");
                return;
            }
            Err(_) => {
                reclaimed(&shared, "handshake_timeout");
                tracing::debug!("no TLS handshake by the deadline: connection closed");
                return;
            }
        },
        () = ticket.evicted() => return,
        _ = stopping.wait_for(|stop| *stop) => return,
    };
    // The acceptor demands a client certificate and verifies it against
    // the deployment CA: a finished handshake proves the caller.
    ticket.prove();
    let peer = PeerInfo::Tls(tls.connect_info());
    serve_http(tls, peer, false, ticket, &shared, deadline, stopping).await;
}

/// Serves HTTP/2 on an established connection until it closes, is idle
/// for too long, misses its first-request deadline, is evicted, or the
/// server shuts down.
async fn serve_http<IO, S>(
    io: IO,
    peer: PeerInfo,
    plaintext: bool,
    ticket: Ticket,
    shared: &Shared<S>,
    deadline: Instant,
    mut stopping: watch::Receiver<bool>,
) where
    IO: tokio::io::AsyncRead + tokio::io::AsyncWrite + Unpin + Send + 'static,
    S: RequestService,
{
    let (activity, mut changes) =
        watch::channel(Activity { open_calls: 0, requests: 0, idle_since: Instant::now() });
    let service = Tracked { inner: shared.service.clone(), peer, activity: Arc::new(activity) };
    let connection = shared.http2.serve_connection(TokioIo::new(io), service);
    let mut connection = std::pin::pin!(connection);
    let mut productive = false;
    let mut goaway_sent = false;
    // Set with a GOAWAY for a deadline or idleness: drop the connection
    // then if it has not closed.
    let mut drop_at: Option<Instant> = None;
    loop {
        let state = *changes.borrow_and_update();
        if !productive && state.requests > 0 {
            productive = true;
            if plaintext {
                ticket.prove();
            }
            if !ticket.productive() && !goaway_sent {
                // Displaced just before its first request: that request
                // is served, nothing more.
                connection.as_mut().graceful_shutdown();
                goaway_sent = true;
            }
        }
        let idle_at = (productive && state.open_calls == 0).then(|| state.idle_since + shared.idle_timeout);
        tokio::select! {
            result = connection.as_mut() => {
                if let Err(error) = result {
                    tracing::debug!(%error, "connection ended with an error");
                }
                return;
            }
            _ = changes.changed() => {}
            () = tokio::time::sleep_until(deadline), if !productive && !goaway_sent => {
                reclaimed(shared, "handshake_timeout");
                tracing::debug!("no request by the deadline: connection closed");
                connection.as_mut().graceful_shutdown();
                (goaway_sent, drop_at) = (true, Some(Instant::now() + CLOSE_GRACE));
            }
            () = sleep_until_some(idle_at), if idle_at.is_some() && !goaway_sent => {
                reclaimed(shared, "idle");
                tracing::debug!("idle connection closed");
                connection.as_mut().graceful_shutdown();
                (goaway_sent, drop_at) = (true, Some(Instant::now() + CLOSE_GRACE));
            }
            () = ticket.evicted(), if !productive => return,
            _ = stopping.wait_for(|stop| *stop), if !goaway_sent => {
                if !productive {
                    return;
                }
                // Calls in flight finish (the drain ends open streams
                // through `Node::begin_shutdown`; a call is bounded by the
                // request timeout), then the connection is dropped.
                connection.as_mut().graceful_shutdown();
                (goaway_sent, drop_at) = (true, Some(Instant::now() + shared.drain_limit));
            }
            () = sleep_until_some(drop_at), if drop_at.is_some() => return,
        }
    }
}

async fn sleep_until_some(at: Option<Instant>) {
    match at {
        Some(at) => tokio::time::sleep_until(at).await,
        None => std::future::pending().await,
    }
}

fn reclaimed<S>(shared: &Shared<S>, reason: &'static str) {
    if let Some(metrics) = &shared.metrics {
        metrics.connection_reclaimed(reason);
    }
}

/// The service of one connection: it puts the peer's info into each
/// request and keeps count of the calls open on the connection.
#[derive(Clone)]
struct Tracked<S> {
    inner: S,
    peer: PeerInfo,
    activity: Arc<watch::Sender<Activity>>,
}

type BoxFuture<T> = Pin<Box<dyn Future<Output = T> + Send + 'static>>;

impl<S: RequestService> hyper::service::Service<http::Request<Incoming>> for Tracked<S> {
    type Response = http::Response<TrackedBody>;
    type Error = std::convert::Infallible;
    type Future = BoxFuture<Result<Self::Response, Self::Error>>;

    fn call(&self, request: http::Request<Incoming>) -> Self::Future {
        let mut request = request.map(Body::new);
        match &self.peer {
            PeerInfo::Tcp(tcp) => {
                request.extensions_mut().insert(tcp.clone());
            }
            PeerInfo::Tls(tls) => {
                request.extensions_mut().insert(tls.get_ref().clone());
                request.extensions_mut().insert(tls.clone());
            }
        }
        self.activity.send_modify(|activity| {
            activity.open_calls += 1;
            activity.requests += 1;
        });
        let call = OpenCall(Arc::clone(&self.activity));
        let service = self.inner.clone();
        Box::pin(async move {
            let response = service.oneshot(request).await?;
            Ok(response.map(|body| TrackedBody { inner: body, _call: call }))
        })
    }
}

/// One call open on a connection, until its response body is done (or the
/// call is dropped).
#[derive(Debug)]
struct OpenCall(Arc<watch::Sender<Activity>>);

impl Drop for OpenCall {
    fn drop(&mut self) {
        self.0.send_modify(|activity| {
            activity.open_calls -= 1;
            activity.idle_since = Instant::now();
        });
    }
}

/// A response body that keeps its call counted as open until it ends.
#[derive(Debug)]
struct TrackedBody {
    inner: Body,
    _call: OpenCall,
}

impl HttpBody for TrackedBody {
    type Data = Bytes;
    type Error = tonic::Status;

    fn poll_frame(
        mut self: Pin<&mut Self>,
        cx: &mut Context<'_>,
    ) -> Poll<Option<Result<Frame<Self::Data>, Self::Error>>> {
        Pin::new(&mut self.inner).poll_frame(cx)
    }

    fn is_end_stream(&self) -> bool {
        self.inner.is_end_stream()
    }

    fn size_hint(&self) -> SizeHint {
        self.inner.size_hint()
    }
}

/// The next connection of an HTTP listener (the metrics and probe port,
/// the dashboard), or `None` once `shutdown` completes. An accept that
/// fails (out of file descriptors and the like) is logged, naming `what`,
/// and retried after a pause.
pub(crate) async fn next_connection(
    listener: &tokio::net::TcpListener,
    shutdown: &mut (impl Future<Output = ()> + Unpin),
    what: &'static str,
) -> Option<tokio::net::TcpStream> {
    loop {
        tokio::select! {
            accepted = listener.accept() => match accepted {
                Ok((stream, _)) => return Some(stream),
                Err(error) => {
                    tracing::warn!(%error, listener = what, "accept failed");
                    tokio::time::sleep(Duration::from_millis(100)).await;
                }
            },
            () = &mut *shutdown => return None,
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn limits(max: usize, reserved: usize, per_source: usize) -> Limits {
        Limits {
            max_connections: max,
            reserved_connections: reserved,
            max_connections_per_source: per_source,
            ..Limits::default()
        }
    }

    fn ip(last: u8) -> IpAddr {
        IpAddr::from([127, 0, 0, last])
    }

    #[test]
    fn one_source_holds_at_most_its_share() {
        let admission = Admission::new(&limits(10, 0, 3), None);
        let held: Vec<_> = (0..3).map(|_| admission.admit(ip(2)).unwrap()).collect();
        assert_eq!(admission.admit(ip(2)).unwrap_err(), Refusal::SourceLimit);
        let other = admission.admit(ip(3)).unwrap();
        drop(held);
        admission.admit(ip(2)).unwrap();
        drop(other);
    }

    #[tokio::test]
    async fn unproven_connections_leave_the_reserve_free() {
        let admission = Admission::new(&limits(4, 2, 4), None);
        let waiting: Vec<_> = (0..2).map(|_| admission.admit(ip(2)).unwrap()).collect();
        assert_eq!(admission.open(), (2, 0));
        // A third unproven connection displaces the oldest waiting one.
        let newcomer = admission.admit(ip(3)).unwrap();
        assert_eq!(admission.open(), (2, 0), "the unproven share stays at max - reserved");
        tokio::time::timeout(Duration::from_secs(1), waiting[0].evicted()).await.expect("displaced");
        newcomer.prove();
        assert_eq!(admission.open(), (1, 1));
        drop(waiting);
        assert_eq!(admission.open(), (0, 1));
    }

    #[tokio::test]
    async fn a_newcomer_displaces_the_busiest_sources_oldest_waiting_connection() {
        let admission = Admission::new(&limits(4, 0, 4), None);
        let flood: Vec<_> = (0..3).map(|_| admission.admit(ip(2)).unwrap()).collect();
        let lone = admission.admit(ip(3)).unwrap();
        // A source cannot displace its own, nor one holding no more than it.
        assert_eq!(admission.admit(ip(2)).unwrap_err(), Refusal::Full);
        // Full: the newcomer takes the slot of 127.0.0.2's oldest.
        let newcomer = admission.admit(ip(4)).unwrap();
        tokio::time::timeout(Duration::from_secs(1), flood[0].evicted()).await.expect("the oldest is told");
        for ticket in [&flood[1], &flood[2], &lone] {
            let told = tokio::time::timeout(Duration::from_millis(20), ticket.evicted()).await;
            assert!(told.is_err(), "only one connection is displaced");
        }
        assert_eq!(admission.open(), (4, 0));
        // 127.0.0.2 now holds 2, 127.0.0.3 and .4 one each: the displaced
        // socket coming back from 127.0.0.2 displaces nobody.
        assert_eq!(admission.admit(ip(2)).unwrap_err(), Refusal::Full);
        // A fresh source still may (2 ≥ 0 + 2).
        admission.admit(ip(5)).unwrap();
        drop(newcomer);
    }

    #[test]
    fn connections_that_made_a_request_are_never_displaced() {
        let admission = Admission::new(&limits(2, 0, 2), None);
        let working: Vec<_> = (0..2).map(|_| admission.admit(ip(2)).unwrap()).collect();
        for ticket in &working {
            ticket.prove();
            ticket.productive();
        }
        assert_eq!(admission.admit(ip(3)).unwrap_err(), Refusal::Full);
        drop(working);
        admission.admit(ip(3)).unwrap();
    }
}
