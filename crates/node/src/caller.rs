//! The caller of a request, as the transport established it.
//!
//! The server puts a [`Caller`] into every request's extensions before a
//! service sees it: from the verified client certificate under mTLS, or
//! [`Caller::Insecure`] on a plaintext (`--insecure`) loopback node. A request
//! without one never reached a service through the server, so it is refused.

use fengqiao_core::identity::Identity;

/// Who made a request.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Caller {
    /// Verified by a certificate of the deployment CA.
    Verified(Identity),
    /// A plaintext node's caller: unknown, trusted as the local operator.
    /// Only possible on a node started with `--insecure` on loopback.
    Insecure,
}

impl std::fmt::Display for Caller {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            Caller::Verified(identity) => identity.fmt(f),
            Caller::Insecure => f.write_str("insecure local caller"),
        }
    }
}

/// The caller of `request`, or UNAUTHENTICATED when the server did not
/// establish one.
pub fn caller<T>(request: &tonic::Request<T>) -> Result<&Caller, tonic::Status> {
    request.extensions().get::<Caller>().ok_or_else(|| {
        tonic::Status::unauthenticated("the caller is not identified: present a client certificate")
    })
}
