//! Authorization at the top of every handler: the caller the server
//! established, checked against the rules of [`fengqiao_core::authz`] on
//! this node's tree.
//!
//! Each handler calls [`Node::authorize`] before it reads or writes anything,
//! with the RPC and the unit the request names. Case RPCs name a case, whose
//! owner is known only once it is loaded: they call
//! [`Node::authorize_rpc`] first (the role may call the RPC at all, so a
//! caller who may never see cases learns nothing of which exist), then load
//! the case and call [`Node::authorize_caller`] with its owner. A case id
//! that is not in the ledger is then NOT_FOUND, and a case outside the
//! caller's subtree PERMISSION_DENIED: case ids are not secret (they are
//! numbered per unit and day, and reports and drill-downs carry them), and
//! the denial names no content of the case.
//!
//! These methods of [`Node`] (`authorize`, `authorize_rpc`,
//! `authorize_caller`, `authorize_push`, `unit_or_callers`) live here, with
//! the rules they apply, rather than in [`crate::node`] with the others.
//!
//! [`Caller::Insecure`] (a plaintext loopback node's local operator) is
//! allowed everything. Every denial is PERMISSION_DENIED naming the rule, and
//! is logged here with the caller, the RPC and the target.

use fengqiao_core::authz::{self, Rpc, Served, Target};
use fengqiao_core::why;
use tonic::Request;

use crate::caller::{Caller, caller};
use crate::{Node, NodeError};

impl Node {
    /// The caller of `request`, if it may call `rpc` on `target`;
    /// UNAUTHENTICATED without a caller, PERMISSION_DENIED (logged) when the
    /// rules refuse.
    pub fn authorize<T>(
        &self,
        request: &Request<T>,
        rpc: Rpc,
        target: Target<'_>,
    ) -> Result<Caller, NodeError> {
        let caller = established(request)?;
        self.authorize_caller(&caller, rpc, target)?;
        Ok(caller)
    }

    /// The caller of `request`, if its role may call `rpc` on this node at
    /// all; the target is checked with [`Node::authorize_caller`] once known.
    pub fn authorize_rpc<T>(&self, request: &Request<T>, rpc: Rpc) -> Result<Caller, NodeError> {
        let caller = established(request)?;
        if let Caller::Verified(identity) = &caller {
            let view = self.view();
            let served = Served { tree: &view.tree, child_nodes: &view.child_nodes };
            authz::may_call(identity, rpc, &served).map_err(|denied| deny(&caller, rpc, None, denied))?;
        }
        Ok(caller)
    }

    /// Whether an established caller may call `rpc` on `target`.
    pub fn authorize_caller(&self, caller: &Caller, rpc: Rpc, target: Target<'_>) -> Result<(), NodeError> {
        let Caller::Verified(identity) = caller else { return Ok(()) };
        let view = self.view();
        let served = Served { tree: &view.tree, child_nodes: &view.child_nodes };
        authz::authorize(identity, rpc, target, &served)
            .map_err(|denied| deny(caller, rpc, Some(target), denied))
    }

    /// Whether an established caller may call the case RPC `rpc` on `case`:
    /// by its owner and origin ([`Node::authorize_caller`]), and for a
    /// department's person, only on the cases their department holds or
    /// was assigned ([`authz::department_case`]).
    pub fn authorize_case(
        &self,
        caller: &Caller,
        rpc: Rpc,
        case: &fengqiao_core::case::Case,
    ) -> Result<(), NodeError> {
        let target =
            Target::Case { owner: case.owner_unit.as_str(), origin: case.intake.origin_unit.as_str() };
        self.authorize_caller(caller, rpc, target)?;
        let Caller::Verified(identity) = caller else { return Ok(()) };
        authz::department_case(identity, rpc, case).map_err(|denied| deny(caller, rpc, Some(target), denied))
    }

    /// The unit a request names, or when it names none: the caller's own
    /// unit for a verified caller (so an implicit listing is scoped to their
    /// subtree), the home unit for the local operator.
    pub fn unit_or_callers<T>(&self, request: &Request<T>, named: &str) -> String {
        if !named.is_empty() {
            return named.to_owned();
        }
        match request.extensions().get::<Caller>() {
            Some(Caller::Verified(identity)) => identity.unit().to_string(),
            _ => self.config().home_unit.clone(),
        }
    }

    /// `PushBatch`: the caller may push for `sender` (a child node's unit),
    /// a verified node pushes only as itself, and every item's unit lies in
    /// its subtree. Returns the caller.
    pub fn authorize_push<'a, T>(
        &self,
        request: &Request<T>,
        sender: &str,
        item_units: impl IntoIterator<Item = &'a str>,
    ) -> Result<Caller, NodeError> {
        let caller = self.authorize(request, Rpc::PushBatch, Target::Unit(sender))?;
        if let Caller::Verified(identity) = &caller
            && identity.unit().as_str() != sender
        {
            let denied = authz::Denied {
                reason: why!(
                    NODE_PUSHES_ONLY_AS_ITSELF,
                    "a node pushes only as itself: {unit} may not push as \"{sender}\"",
                    unit = identity.unit(),
                    sender = sender
                ),
            };
            return Err(deny(&caller, Rpc::PushBatch, Some(Target::Unit(sender)), denied));
        }
        for unit in item_units {
            self.authorize_caller(&caller, Rpc::PushBatch, Target::Unit(unit))?;
        }
        Ok(caller)
    }
}

fn established<T>(request: &Request<T>) -> Result<Caller, NodeError> {
    caller(request).cloned().map_err(|_| NodeError::Unauthenticated(crate::caller::caller_not_identified()))
}

fn deny(caller: &Caller, rpc: Rpc, target: Option<Target<'_>>, denied: authz::Denied) -> NodeError {
    let target = target.map_or_else(|| "-".to_owned(), |t| t.to_string());
    tracing::warn!(caller = %caller, rpc = %rpc, %target, reason = %denied, "permission denied");
    NodeError::Denied(denied.reason)
}
