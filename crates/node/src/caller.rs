//! The caller of a request, as the transport established it.
//!
//! The server puts a [`Caller`] into every request's extensions before a
//! service sees it: from the verified client certificate under mTLS, or
//! [`Caller::Insecure`] on a plaintext (`--insecure`) loopback node. A request
//! without one never reached a service through the server, so it is refused.
//! A certificate that carries a display name adds a [`CallerName`].
//!
//! [`Node::actor`] and [`Node::reporter`] turn the caller into what the
//! ledger records as having acted (see [`fengqiao_core::actor`]): a request
//! that names somebody else is PERMISSION_DENIED, logged like every denial.
//! These two methods of [`Node`] live here, with the caller they read,
//! rather than in [`crate::node`] with the others.

use fengqiao_core::actor::{self, Acting, Actor, DisplayName, Principal, Refusal};
use fengqiao_core::identity::Identity;

use crate::{Node, NodeError};

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

/// The display name the caller's verified certificate carries.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct CallerName(pub DisplayName);

/// The caller of `request`, or UNAUTHENTICATED when the server did not
/// establish one.
pub fn caller<T>(request: &tonic::Request<T>) -> Result<&Caller, tonic::Status> {
    request
        .extensions()
        .get::<Caller>()
        .ok_or_else(|| crate::status::refusal(tonic::Code::Unauthenticated, &caller_not_identified()))
}

/// Why a request without a caller is refused.
pub(crate) fn caller_not_identified() -> fengqiao_core::error::Why {
    fengqiao_core::why!(CALLER_NOT_IDENTIFIED, "the caller is not identified: present a client certificate")
}

/// The caller of `request` as the domain sees it.
fn acting<T>(request: &tonic::Request<T>) -> Result<(Caller, Option<DisplayName>), NodeError> {
    let caller = caller(request).map_err(|_| NodeError::Unauthenticated(caller_not_identified()))?;
    let name = request.extensions().get::<CallerName>().map(|name| name.0.clone());
    Ok((caller.clone(), name))
}

fn as_acting<'a>(caller: &'a Caller, name: Option<&'a DisplayName>) -> Acting<'a> {
    match caller {
        Caller::Verified(identity) => Acting::Verified { identity, name },
        Caller::Insecure => Acting::Insecure,
    }
}

impl Node {
    /// Who the ledger records as acting in `request`: its verified caller
    /// (with whom they act for, as `on_behalf_of` states), or the insecure
    /// mode's unverified `stated` text. A `stated` actor other than the
    /// caller is PERMISSION_DENIED (logged with the caller); `field` names it.
    pub fn actor<T>(
        &self,
        request: &tonic::Request<T>,
        stated: &str,
        on_behalf_of: Option<Principal>,
        field: &str,
    ) -> Result<Actor, NodeError> {
        let (caller, name) = acting(request)?;
        actor::recorded(as_acting(&caller, name.as_ref()), stated, on_behalf_of, field)
            .map_err(|refusal| refused(&caller, field, refusal))
    }

    /// The reporter a report is filed under (see [`actor::reporter`]).
    pub fn reporter<T>(
        &self,
        request: &tonic::Request<T>,
        stated: &str,
        field: &str,
    ) -> Result<String, NodeError> {
        let (caller, name) = acting(request)?;
        actor::reporter(as_acting(&caller, name.as_ref()), stated, field)
            .map_err(|refusal| refused(&caller, field, refusal))
    }
}

fn refused(caller: &Caller, field: &str, refusal: Refusal) -> NodeError {
    match refusal {
        Refusal::Invalid(invalid) => invalid.into(),
        Refusal::Denied(denied) => {
            tracing::warn!(caller = %caller, %field, reason = %denied, "permission denied");
            NodeError::Denied(denied.reason)
        }
    }
}
