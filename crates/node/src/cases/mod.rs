//! `fengqiao.v1.CaseService`: the case ledger at a node, and how cases move
//! between nodes.
//!
//! One node writes a case at a time: the node that *holds* its owner unit
//! (serves it, with no child node below serving it). Writes go through
//! [`Node::case_lock`](crate::Node::case_lock): read the case, decide the event with the domain's
//! state machine, store it (and queue it for the parent) in one transaction.
//!
//! - **Up**: every event a node stores from its own writes or from a child
//!   node is queued in the outbox and forwarded like a report, so each
//!   ancestor's ledger covers its subtree. An escalation (or a review
//!   request) hands the case to the parent's node; the forwarder adds the
//!   petitioner's personal data to that one event only.
//! - **Down**: an assignment down (交办) to a unit a child node serves
//!   appends a handover (the whole log and the petitioner) to the downlink
//!   log; each node on the way stores the events (not forwarding them back
//!   up: the sender has them) and relays until the node holding the target.
//!   Supervision notices (督办) and duty rosters travel the same way.
//! - **Who acted**: every event records its actor from the verified caller
//!   ([`Node::actor`](crate::Node::actor)); a node acting by itself (automatic escalation, repeat
//!   detection, recording a supervision notice from above) records itself.
//! - **Repeat petitions across the subtree**: the registering node links a
//!   new case to the earlier ones its own ledger holds. Every ancestor looks
//!   again, over its whole subtree, whenever a case's registration (or a
//!   change of hands) arrives from a child node ([`detect_repeats`]), and
//!   sends what it finds down to the node holding the case (a
//!   [`RepeatFlag`](fengqiao_core::case::RepeatFlag) on the downlink); the holder records it as the case's
//!   `repeat_found` event, which travels up like any other, so every tier
//!   counts the case as one repeat petition.
//!
//! # Layout
//!
//! - [`service`]: the `CaseService` handlers (wire in, call, wire out).
//! - `access`: who reads or supervises a case beyond the authz table
//!   (working groups, contact leaders).
//! - `ledger`: applying an action to a held case, storing it, its audit.
//! - `wire`: request fields into domain values, and rows from wire messages.
//! - `sync`: the receivers of what child nodes push up and the parent's
//!   downlink sends down, and repeat detection over the subtree.
//! - [`escalation`]: the automatic escalation loop.
//!
//! The direction is one way: [`crate::downlink`] (the follower),
//! [`crate::uplink`] and [`crate::forwarder`] call into `sync`; this module
//! sends down only by appending to [`crate::downlink_log`] and imports
//! nothing of `downlink`, `uplink` or `forwarder`.

pub(crate) mod access;
mod departments;
pub mod escalation;
mod ledger;
pub mod service;
pub(crate) mod sync;
mod wire;

pub use escalation::{auto_escalate, run_auto_escalation};
pub use service::{Cases, DEFAULT_PAGE, MAX_PAGE, MAX_ROSTER_DAYS, MAX_ROSTER_ENTRIES};
pub use sync::detect_repeats;
