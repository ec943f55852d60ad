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
//! Per connection ([`crate::connections`]): a bound on open connections
//! with a reserve that only callers with a certificate may use and a share
//! per source address, a deadline from accept to the first request, idle
//! connections reclaimed, TCP keepalive and HTTP/2 pings, and a bound on
//! the calls one connection may have open.

use std::num::NonZeroU32;
use std::sync::Arc;
use std::time::Duration;

use governor::clock::{Clock, DefaultClock};
use governor::{DefaultKeyedRateLimiter, Quota, RateLimiter};
use tokio::sync::Semaphore;
use tonic::body::Body;
use tonic::transport::server::TcpConnectInfo;

use crate::caller::Caller;
use crate::middleware::{Answer, Inner, Middleware, Wrapped};

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
    /// Most open connections. When they are all taken, a new connection
    /// takes the slot of one that has not yet made a request (the oldest of
    /// the source holding most of them), or is closed at accept when every
    /// connection has made one. Default 512.
    pub max_connections: usize,
    /// Of `max_connections`, the slots only a connection that proved who it
    /// is may hold (under mTLS, a finished handshake with a certificate of
    /// the deployment CA; in plaintext, its first request): connections not
    /// yet proven share the other `max_connections - reserved_connections`.
    /// Default 64.
    pub reserved_connections: usize,
    /// Most connections one source address may hold; one more from it is
    /// closed at accept. Behind a proxy that hides callers' addresses, set it
    /// to `max_connections`. Default 64.
    pub max_connections_per_source: usize,
    /// Calls per second one caller may make on average (a token bucket per
    /// [`rate_key`]); over it RESOURCE_EXHAUSTED. `0` turns the rate limit
    /// off. Default 100.
    pub rate_per_second: u32,
    /// Calls one caller may make at once above the average rate. Default 500.
    pub rate_burst: u32,
    /// How long a new connection has from accept to its first complete
    /// request: TLS handshake, HTTP/2 preface and the first request's
    /// headers, all together (a deadline, not a per-read timeout). Past it
    /// the connection is closed. Default 10 s.
    pub handshake_timeout: Duration,
    /// How long a connection that has made a request may stay without any
    /// call open; then it is sent a GOAWAY and closed (the client connects
    /// again for its next call). Default 300 s.
    pub idle_timeout: Duration,
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
            reserved_connections: 64,
            max_connections_per_source: 64,
            rate_per_second: 100,
            rate_burst: 500,
            handshake_timeout: Duration::from_secs(10),
            idle_timeout: Duration::from_secs(300),
            keepalive_interval: Duration::from_secs(60),
            keepalive_timeout: Duration::from_secs(20),
            tcp_keepalive: Duration::from_secs(120),
        }
    }
}

impl Limits {
    /// The defaults without the per-call limits (no rate limit, no bound on
    /// calls in flight) and without a share per source address, for load
    /// generators that drive a node from one process as if they were many
    /// callers (all from 127.0.0.1): the benchmarks and the demo.
    pub fn unthrottled() -> Self {
        let defaults = Limits::default();
        Limits {
            rate_per_second: 0,
            max_in_flight: UNTHROTTLED_IN_FLIGHT,
            max_connections_per_source: defaults.max_connections,
            ..defaults
        }
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
    type Service = Wrapped<LimitLayer, S>;

    fn layer(&self, inner: S) -> Self::Service {
        Wrapped::new(self.clone(), inner)
    }
}

impl Middleware for LimitLayer {
    fn around<S: Inner>(&self, mut inner: S, request: http::Request<Body>) -> Answer<S::Error> {
        if request.uri().path().starts_with(HEALTH_PREFIX) {
            return Box::pin(inner.call(request));
        }
        let shared = &self.shared;
        if let Some(rate) = &shared.rate {
            let key = rate_key(&request);
            if let Err(not_until) = rate.check_key(&key) {
                let wait = not_until.wait_time_from(DefaultClock::default().now());
                tracing::debug!(caller = %key, path = request.uri().path(), "rate limit: call refused");
                let mut status = crate::status::refusal(
                    tonic::Code::ResourceExhausted,
                    &fengqiao_core::why!(
                        RATE_LIMITED,
                        "rate limit of {rate} calls per second exceeded for this caller: retry in {wait_ms} ms",
                        rate = shared.rate_per_second,
                        wait_ms = wait.as_millis().max(1)
                    ),
                );
                if let Ok(value) = wait.as_millis().max(1).to_string().parse() {
                    status.metadata_mut().insert("grpc-retry-pushback-ms", value);
                }
                return refuse(request, status);
            }
        }
        let Ok(permit) = Arc::clone(&shared.in_flight).try_acquire_owned() else {
            tracing::debug!(path = request.uri().path(), "overloaded: call shed");
            let status = crate::status::refusal(
                tonic::Code::Unavailable,
                &fengqiao_core::why!(
                    OVERLOADED_IN_FLIGHT,
                    "the node is overloaded ({calls} calls in progress): retry later",
                    calls = shared.max_in_flight
                ),
            );
            return refuse(request, status);
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

/// What a refused call's request body is read to before the answer, at
/// most: enough for every ordinary call, little for a flood.
const REFUSED_BODY_READ: (usize, Duration) = (64 * 1024, Duration::from_millis(250));

/// An answer with `status`, once the request's body has arrived (within
/// [`REFUSED_BODY_READ`]). Answering before the body would reset a stream
/// whose DATA frames are still arriving; HTTP/2 servers count the small
/// frames of such streams against a per-connection budget (h2's defence
/// against floods of small frames), and a caller refused thousands of
/// times in a row then saw its whole connection closed with
/// ENHANCE_YOUR_CALM, its other calls failing with a broken pipe, instead
/// of each call getting its RESOURCE_EXHAUSTED or UNAVAILABLE.
fn refuse<E: Send + 'static>(request: http::Request<Body>, status: tonic::Status) -> Answer<E> {
    use http_body_util::BodyExt;
    Box::pin(async move {
        let (limit, within) = REFUSED_BODY_READ;
        let mut body = request.into_body();
        let _ = tokio::time::timeout(within, async {
            let mut read = 0usize;
            while read <= limit {
                match body.frame().await {
                    Some(Ok(frame)) => read += frame.data_ref().map_or(0, |data| data.len()),
                    Some(Err(_)) | None => break,
                }
            }
        })
        .await;
        Ok(status.into_http())
    })
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
