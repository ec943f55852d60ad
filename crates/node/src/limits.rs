//! What keeps a node answering while a caller misbehaves: the [`Limits`] a
//! node is configured with, the tower layer that enforces the per-call ones,
//! and the connection guard that enforces the per-connection ones.
//!
//! Per call, in this order ([`LimitLayer`]):
//! 1. health checks (`grpc.health.v1.Health`) pass untouched: never rate
//!    limited, never shed, so an orchestrator sees a loaded node as alive;
//! 2. a token bucket per caller ([`rate_key`]): over it RESOURCE_EXHAUSTED,
//!    answered at once, saying when to retry;
//! 3. a node-wide bound on the calls being handled: over it UNAVAILABLE,
//!    answered at once (load shedding, never queued);
//! 4. a deadline on producing the response: past it DEADLINE_EXCEEDED.
//!
//! Per connection ([`guard_connections`]): a bound on open connections (one
//! over it is closed at accept), TCP keepalive, and a deadline for the
//! client's first bytes (the HTTP/2 preface), so a socket that connects and
//! says nothing, or dribbles, is closed. HTTP/2 keepalive pings (set on the
//! server builder) close an established connection whose peer stops
//! answering, and `max_concurrent_streams` bounds the calls one connection
//! may have open.

use std::future::Future;
use std::num::NonZeroU32;
use std::pin::Pin;
use std::sync::Arc;
use std::task::{Context, Poll};
use std::time::Duration;

use governor::clock::{Clock, DefaultClock};
use governor::{DefaultKeyedRateLimiter, Quota, RateLimiter};
use tokio::io::{AsyncRead, AsyncWrite, ReadBuf};
use tokio::sync::{OwnedSemaphorePermit, Semaphore};
use tonic::body::Body;
use tonic::transport::server::{Connected, TcpConnectInfo};

use crate::caller::Caller;

/// The limits a node enforces. The defaults suit a district node: a few
/// dozen child nodes and some hundred people calling it, each at human pace
/// or a child's forwarding pace.
#[derive(Debug, Clone)]
pub struct Limits {
    /// Largest gRPC message accepted, in bytes. Larger: OUT_OF_RANGE.
    /// Default 1 MiB (a report with 200 disputes of full-length text is
    /// about 250 KB; the forwarder's batches stay under 512 KB).
    pub max_message_bytes: usize,
    /// Longest time a call may take to produce its response; past it the
    /// caller gets DEADLINE_EXCEEDED. A streaming call's stream, once
    /// started, is not cut. Default 30 s.
    pub request_timeout: Duration,
    /// Most calls handled at once across all callers; one more is answered
    /// UNAVAILABLE at once. Health checks do not count. Default 256.
    pub max_in_flight: usize,
    /// Most calls open at once on one HTTP/2 connection (the
    /// `SETTINGS_MAX_CONCURRENT_STREAMS` the node announces; clients queue
    /// beyond it). Default 64.
    pub max_streams_per_connection: u32,
    /// Most open connections; one more is closed as soon as it is accepted.
    /// Default 512.
    pub max_connections: usize,
    /// Calls per second one caller may make on average (a token bucket per
    /// [`rate_key`]); over it RESOURCE_EXHAUSTED. `0` turns the rate limit
    /// off. Default 100.
    pub rate_per_second: u32,
    /// Calls one caller may make at once above the average rate. Default 500.
    pub rate_burst: u32,
    /// How long a new connection may take to send its first bytes (the
    /// HTTP/2 preface; under TLS the TLS handshake's timeout applies
    /// first). Default 10 s.
    pub handshake_timeout: Duration,
    /// Interval of HTTP/2 pings on a connection. Default 60 s.
    pub keepalive_interval: Duration,
    /// How long the peer has to answer a ping before the connection is
    /// closed. Default 20 s.
    pub keepalive_timeout: Duration,
    /// Idle time before the kernel probes a connection's peer (TCP
    /// keepalive). Default 120 s.
    pub tcp_keepalive: Duration,
}

impl Default for Limits {
    fn default() -> Self {
        Limits {
            max_message_bytes: 1024 * 1024,
            request_timeout: Duration::from_secs(30),
            max_in_flight: 256,
            max_streams_per_connection: 64,
            max_connections: 512,
            rate_per_second: 100,
            rate_burst: 500,
            handshake_timeout: Duration::from_secs(10),
            keepalive_interval: Duration::from_secs(60),
            keepalive_timeout: Duration::from_secs(20),
            tcp_keepalive: Duration::from_secs(120),
        }
    }
}

impl Limits {
    /// The defaults without the per-call limits (no rate limit, no bound on
    /// calls in flight), for load generators that drive a node from one
    /// process as if they were many callers: the benchmarks and the demo.
    pub fn unthrottled() -> Self {
        Limits { rate_per_second: 0, max_in_flight: UNTHROTTLED_IN_FLIGHT, ..Limits::default() }
    }
}

/// [`Limits::unthrottled`]'s bound on calls in flight: more than any load
/// generator here starts.
const UNTHROTTLED_IN_FLIGHT: usize = 1 << 20;

/// The gRPC path prefix of health checks, which no limit touches.
const HEALTH_PREFIX: &str = "/grpc.health.v1.Health/";

/// The key a caller's rate limit is kept under: the verified identity's URI
/// when the request carries one, else the peer's IP address (all calls from
/// one address share a budget), else `"unknown"`.
pub fn rate_key<B>(request: &http::Request<B>) -> String {
    if let Some(Caller::Verified(identity)) = request.extensions().get::<Caller>() {
        return identity.to_uri();
    }
    match request.extensions().get::<TcpConnectInfo>().and_then(TcpConnectInfo::remote_addr) {
        Some(address) => address.ip().to_string(),
        None => "unknown".to_owned(),
    }
}

/// The state the per-call limits share across connections.
#[derive(Debug)]
struct Shared {
    in_flight: Arc<Semaphore>,
    max_in_flight: usize,
    rate: Option<DefaultKeyedRateLimiter<String>>,
    rate_per_second: u32,
    request_timeout: Duration,
}

/// The tower layer enforcing the per-call limits (see the module docs).
/// One per server: its clones share the budgets.
#[derive(Debug, Clone)]
pub struct LimitLayer {
    shared: Arc<Shared>,
}

impl LimitLayer {
    pub fn new(limits: &Limits) -> Self {
        let rate = NonZeroU32::new(limits.rate_per_second).map(|per_second| {
            let burst = NonZeroU32::new(limits.rate_burst).unwrap_or(per_second);
            RateLimiter::keyed(Quota::per_second(per_second).allow_burst(burst))
        });
        LimitLayer {
            shared: Arc::new(Shared {
                in_flight: Arc::new(Semaphore::new(limits.max_in_flight)),
                max_in_flight: limits.max_in_flight,
                rate,
                rate_per_second: limits.rate_per_second,
                request_timeout: limits.request_timeout,
            }),
        }
    }

    /// Forgets the rate-limit state of callers whose buckets are full again,
    /// so the table holds only recent callers. The server calls it
    /// periodically.
    pub fn forget_idle_callers(&self) {
        if let Some(rate) = &self.shared.rate {
            rate.retain_recent();
            rate.shrink_to_fit();
        }
    }
}

impl<S> tower_layer::Layer<S> for LimitLayer {
    type Service = Limited<S>;

    fn layer(&self, inner: S) -> Limited<S> {
        Limited { inner, shared: Arc::clone(&self.shared) }
    }
}

/// A service behind the [`LimitLayer`].
#[derive(Debug, Clone)]
pub struct Limited<S> {
    inner: S,
    shared: Arc<Shared>,
}

type BoxFuture<T> = Pin<Box<dyn Future<Output = T> + Send + 'static>>;

impl<S> tower_service::Service<http::Request<Body>> for Limited<S>
where
    S: tower_service::Service<http::Request<Body>, Response = http::Response<Body>> + Clone + Send + 'static,
    S::Future: Send + 'static,
    S::Error: Send + 'static,
{
    type Response = http::Response<Body>;
    type Error = S::Error;
    type Future = BoxFuture<Result<http::Response<Body>, S::Error>>;

    fn poll_ready(&mut self, cx: &mut Context<'_>) -> Poll<Result<(), Self::Error>> {
        self.inner.poll_ready(cx)
    }

    fn call(&mut self, request: http::Request<Body>) -> Self::Future {
        // The clone that was polled ready serves this call.
        let clone = self.inner.clone();
        let mut inner = std::mem::replace(&mut self.inner, clone);
        if request.uri().path().starts_with(HEALTH_PREFIX) {
            return Box::pin(inner.call(request));
        }
        let shared = &self.shared;
        if let Some(rate) = &shared.rate {
            let key = rate_key(&request);
            if let Err(not_until) = rate.check_key(&key) {
                let wait = not_until.wait_time_from(DefaultClock::default().now());
                tracing::debug!(caller = %key, path = request.uri().path(), "rate limit: call refused");
                let mut status = tonic::Status::resource_exhausted(format!(
                    "rate limit of {} calls per second exceeded for this caller: retry in {} ms",
                    shared.rate_per_second,
                    wait.as_millis().max(1)
                ));
                if let Ok(value) = wait.as_millis().max(1).to_string().parse() {
                    status.metadata_mut().insert("grpc-retry-pushback-ms", value);
                }
                return refuse(status);
            }
        }
        let Ok(permit) = Arc::clone(&shared.in_flight).try_acquire_owned() else {
            tracing::debug!(path = request.uri().path(), "overloaded: call shed");
            return refuse(tonic::Status::unavailable(format!(
                "the node is overloaded ({} calls in progress): retry later",
                shared.max_in_flight
            )));
        };
        let timeout = shared.request_timeout;
        Box::pin(async move {
            let answer = tokio::time::timeout(timeout, inner.call(request)).await;
            drop(permit);
            match answer {
                Ok(answer) => answer,
                Err(_) => Ok(tonic::Status::deadline_exceeded(format!(
                    "the node did not answer within the request timeout of {} ms",
                    timeout.as_millis()
                ))
                .into_http()),
            }
        })
    }
}

/// An immediate answer with `status`.
fn refuse<E: Send + 'static>(status: tonic::Status) -> BoxFuture<Result<http::Response<Body>, E>> {
    Box::pin(std::future::ready(Ok(status.into_http())))
}

/// The connection guard's settings.
#[derive(Debug, Clone)]
pub struct ConnectionGuard {
    open: Arc<Semaphore>,
    handshake_timeout: Duration,
}

impl ConnectionGuard {
    pub fn new(limits: &Limits) -> Self {
        ConnectionGuard {
            open: Arc::new(Semaphore::new(limits.max_connections)),
            handshake_timeout: limits.handshake_timeout,
        }
    }

    /// `stream` guarded, or `None` (the stream dropped, so closed) when
    /// every connection slot is taken.
    pub fn admit<IO>(&self, stream: IO) -> Option<Guarded<IO>> {
        match Arc::clone(&self.open).try_acquire_owned() {
            Ok(slot) => Some(Guarded {
                inner: stream,
                _slot: slot,
                handshake: Some(Box::pin(tokio::time::sleep(self.handshake_timeout))),
                preface_left: HTTP2_PREFACE_LEN,
            }),
            Err(_) => {
                tracing::warn!("connection limit reached: connection closed");
                None
            }
        }
    }
}

/// Wraps an accept stream in the per-connection limits: a connection slot
/// each, TCP_NODELAY and TCP keepalive on, and the handshake deadline.
pub fn guard_connections(
    listener: tokio::net::TcpListener,
    limits: &Limits,
) -> impl tokio_stream::Stream<Item = std::io::Result<Guarded<tokio::net::TcpStream>>> + Send + 'static {
    use tokio_stream::StreamExt;
    let guard = ConnectionGuard::new(limits);
    // Nagle's algorithm off: a response that spans more than one segment
    // would otherwise wait for the client's delayed ACK (40 ms on Linux).
    tonic::transport::server::TcpIncoming::from(listener)
        .with_nodelay(Some(true))
        .with_keepalive(Some(limits.tcp_keepalive))
        .filter_map(move |accepted| match accepted {
            Ok(stream) => guard.admit(stream).map(Ok),
            Err(error) => Some(Err(std::io::Error::other(error))),
        })
}

/// Bytes of the HTTP/2 connection preface (`PRI * HTTP/2.0…`).
const HTTP2_PREFACE_LEN: usize = 24;

/// An accepted connection under the per-connection limits: it holds a
/// connection slot until dropped, and reading fails with `TimedOut` (so
/// the server closes it) if the client has not sent the HTTP/2 preface's
/// bytes within the handshake timeout.
#[derive(Debug)]
pub struct Guarded<IO> {
    inner: IO,
    _slot: OwnedSemaphorePermit,
    /// Running until the preface is in; `None` after.
    handshake: Option<Pin<Box<tokio::time::Sleep>>>,
    preface_left: usize,
}

impl<IO: AsyncRead + Unpin> AsyncRead for Guarded<IO> {
    fn poll_read(
        mut self: Pin<&mut Self>,
        cx: &mut Context<'_>,
        buf: &mut ReadBuf<'_>,
    ) -> Poll<std::io::Result<()>> {
        let this = &mut *self;
        let before = buf.filled().len();
        let read = Pin::new(&mut this.inner).poll_read(cx, buf);
        if let Some(deadline) = &mut this.handshake {
            if let Poll::Ready(Ok(())) = read {
                this.preface_left = this.preface_left.saturating_sub(buf.filled().len() - before);
                if this.preface_left == 0 {
                    this.handshake = None;
                }
                return read;
            }
            if read.is_pending() && deadline.as_mut().poll(cx).is_ready() {
                tracing::debug!("handshake timeout: connection closed");
                return Poll::Ready(Err(std::io::Error::new(
                    std::io::ErrorKind::TimedOut,
                    "the client sent no HTTP/2 preface within the handshake timeout",
                )));
            }
        }
        read
    }
}

impl<IO: AsyncWrite + Unpin> AsyncWrite for Guarded<IO> {
    fn poll_write(
        mut self: Pin<&mut Self>,
        cx: &mut Context<'_>,
        buf: &[u8],
    ) -> Poll<std::io::Result<usize>> {
        Pin::new(&mut self.inner).poll_write(cx, buf)
    }

    fn poll_flush(mut self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<std::io::Result<()>> {
        Pin::new(&mut self.inner).poll_flush(cx)
    }

    fn poll_shutdown(mut self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<std::io::Result<()>> {
        Pin::new(&mut self.inner).poll_shutdown(cx)
    }

    fn poll_write_vectored(
        mut self: Pin<&mut Self>,
        cx: &mut Context<'_>,
        bufs: &[std::io::IoSlice<'_>],
    ) -> Poll<std::io::Result<usize>> {
        Pin::new(&mut self.inner).poll_write_vectored(cx, bufs)
    }

    fn is_write_vectored(&self) -> bool {
        self.inner.is_write_vectored()
    }
}

impl<IO: Connected> Connected for Guarded<IO> {
    type ConnectInfo = IO::ConnectInfo;

    fn connect_info(&self) -> Self::ConnectInfo {
        self.inner.connect_info()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn rate_key_is_the_peer_address_without_a_verified_caller() {
        let mut request = http::Request::new(());
        assert_eq!(rate_key(&request), "unknown");
        request.extensions_mut().insert(TcpConnectInfo {
            local_addr: None,
            remote_addr: Some("127.0.0.2:41000".parse().unwrap()),
        });
        assert_eq!(rate_key(&request), "127.0.0.2");
        request.extensions_mut().insert(Caller::Insecure);
        assert_eq!(rate_key(&request), "127.0.0.2");
    }

    #[test]
    fn rate_key_is_the_identity_of_a_verified_caller() {
        let mut request = http::Request::new(());
        request.extensions_mut().insert(TcpConnectInfo {
            local_addr: None,
            remote_addr: Some("127.0.0.2:41000".parse().unwrap()),
        });
        let identity = fengqiao_core::identity::Identity::Node {
            unit: fengqiao_core::UnitId::parse("410411001").unwrap(),
        };
        request.extensions_mut().insert(Caller::Verified(identity.clone()));
        assert_eq!(rate_key(&request), identity.to_uri());
    }
}
