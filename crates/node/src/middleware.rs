//! The one tower shell of the node's per-call middleware ([`crate::limits`]'s
//! `LimitLayer`, [`crate::metrics`]'s `MetricsLayer`): a layer says what it
//! does with one call ([`Middleware::around`]); [`Wrapped`] is the service
//! that passes readiness through to the inner service and hands each call,
//! with the clone of the inner service that was polled ready, to the layer.

use std::future::Future;
use std::pin::Pin;
use std::task::{Context, Poll};

use tonic::body::Body;

/// A boxed, sendable future.
pub type BoxFuture<T> = Pin<Box<dyn Future<Output = T> + Send + 'static>>;

/// The answer to one call, as a middleware gives it.
pub type Answer<E> = BoxFuture<Result<http::Response<Body>, E>>;

/// The service a middleware wraps: the routes, or the next layer in.
pub trait Inner:
    tower_service::Service<
        http::Request<Body>,
        Response = http::Response<Body>,
        Future: Send + 'static,
        Error: Send + 'static,
    > + Send
    + 'static
{
}

impl<S> Inner for S where
    S: tower_service::Service<
            http::Request<Body>,
            Response = http::Response<Body>,
            Future: Send + 'static,
            Error: Send + 'static,
        > + Send
        + 'static
{
}

/// What a middleware does with one call: given the inner service (ready to
/// take the call) and the request, the answer. Its `Layer` wraps a service
/// in [`Wrapped`] with a clone of itself.
pub trait Middleware: Clone {
    fn around<S: Inner>(&self, inner: S, request: http::Request<Body>) -> Answer<S::Error>;
}

/// A service behind a [`Middleware`]'s layer.
#[derive(Debug, Clone)]
pub struct Wrapped<M, S> {
    middleware: M,
    inner: S,
}

impl<M, S> Wrapped<M, S> {
    pub fn new(middleware: M, inner: S) -> Self {
        Wrapped { middleware, inner }
    }
}

impl<M: Middleware, S: Inner + Clone> tower_service::Service<http::Request<Body>> for Wrapped<M, S> {
    type Response = http::Response<Body>;
    type Error = S::Error;
    type Future = Answer<S::Error>;

    fn poll_ready(&mut self, cx: &mut Context<'_>) -> Poll<Result<(), Self::Error>> {
        self.inner.poll_ready(cx)
    }

    fn call(&mut self, request: http::Request<Body>) -> Self::Future {
        // The clone that was polled ready serves this call.
        let clone = self.inner.clone();
        let inner = std::mem::replace(&mut self.inner, clone);
        self.middleware.around(inner, request)
    }
}
