//! The one place where errors become gRPC statuses.
//!
//! | error                                   | code                |
//! |-----------------------------------------|---------------------|
//! | `DomainError::Invalid`                  | INVALID_ARGUMENT    |
//! | `DomainError::NotFound`                 | NOT_FOUND           |
//! | `DomainError::StaleRevision`            | FAILED_PRECONDITION |
//! | `DomainError::FirstRevisionNotOne`      | FAILED_PRECONDITION |
//! | `DomainError::RevisionConflict`, `Aborted` | ABORTED          |
//! | `DomainError::FailedPrecondition`       | FAILED_PRECONDITION (an illegal case transition) |
//! | `DomainError::AlreadyExists`            | ALREADY_EXISTS      |
//! | `NodeError::Delegated`                  | FAILED_PRECONDITION |
//! | `NodeError::PermissionDenied`           | PERMISSION_DENIED (logged) |
//! | `NodeError::Denied`                     | PERMISSION_DENIED (logged with the caller by `authz`) |
//! | `NodeError::Unauthenticated`            | UNAUTHENTICATED     |
//! | `NodeError::Overloaded`, `ShuttingDown` | UNAVAILABLE         |
//! | `NodeError::Store` of `StoreError::PersonalData` | FAILED_PRECONDITION (a sealed value does not open: check the node's personal-data keys) |
//! | `NodeError::Store` that `StoreError::is_unavailable` (unreachable, connection lost mid-transaction, full, read-only, failing I/O, busy) | UNAVAILABLE (logged here; retry) |
//! | `NodeError::Store`, any other            | INTERNAL (logged here; no database text reaches the client) |
//!
//! Before a handler runs: a request over the size limit is OUT_OF_RANGE
//! (tonic), one that does not decode INVALID_ARGUMENT
//! (`fengqiao_proto::codec::WireCodec`).

use std::sync::Arc;

use fengqiao_core::DomainError;
use fengqiao_store::StoreError;
use fengqiao_store::committer::CommitError;
use tonic::{Code, Status};

/// Everything a node's handlers can fail with.
#[derive(Debug, thiserror::Error)]
pub enum NodeError {
    #[error(transparent)]
    Domain(#[from] DomainError),
    #[error("store: {0}")]
    Store(Arc<StoreError>),
    /// The unit has a node of its own, and reporters submit there.
    #[error("unit {unit} is served by the node of unit {node_unit}; submit there")]
    Delegated { unit: String, node_unit: String },
    /// A node pushed something it may not.
    #[error("{0}")]
    PermissionDenied(String),
    /// The authorization rules refuse the caller (already logged with the
    /// caller, the RPC and the target).
    #[error("{0}")]
    Denied(String),
    /// The request carries no caller.
    #[error("{0}")]
    Unauthenticated(String),
    #[error("overloaded")]
    Overloaded,
    #[error("shutting down")]
    ShuttingDown,
}

impl From<StoreError> for NodeError {
    fn from(error: StoreError) -> Self {
        NodeError::Store(Arc::new(error))
    }
}

impl From<CommitError> for NodeError {
    fn from(error: CommitError) -> Self {
        match error {
            CommitError::Refused(refusal) => NodeError::Domain(refusal),
            CommitError::Store(store) => NodeError::Store(store),
            CommitError::Overloaded => NodeError::Overloaded,
            CommitError::Stopped => NodeError::ShuttingDown,
        }
    }
}

impl From<NodeError> for Status {
    fn from(error: NodeError) -> Status {
        to_status(&error)
    }
}

/// Maps an error to the status a client sees.
pub fn to_status(error: &NodeError) -> Status {
    match error {
        NodeError::Domain(domain) => {
            let code = match domain {
                DomainError::Invalid { .. } => Code::InvalidArgument,
                DomainError::NotFound(_) => Code::NotFound,
                DomainError::StaleRevision { .. } | DomainError::FirstRevisionNotOne { .. } => {
                    Code::FailedPrecondition
                }
                DomainError::RevisionConflict { .. } | DomainError::Aborted(_) => Code::Aborted,
                DomainError::FailedPrecondition(_) => Code::FailedPrecondition,
                DomainError::AlreadyExists(_) => Code::AlreadyExists,
            };
            Status::new(code, domain.to_string())
        }
        NodeError::Store(store) if matches!(**store, StoreError::PersonalData(_)) => {
            // The text names the row and the key id, never the data.
            tracing::error!(error = %store, "personal data unreadable");
            Status::failed_precondition(format!("{store}; check the node's personal-data keys"))
        }
        NodeError::Store(store) if store.is_unavailable() => {
            tracing::error!(error = %store, "database unavailable");
            Status::unavailable("database unavailable; nothing was changed, retry later")
        }
        NodeError::Store(store) => {
            tracing::error!(error = %store, "store failure");
            Status::internal("internal storage error; nothing was changed, retry later")
        }
        NodeError::Delegated { .. } => Status::failed_precondition(error.to_string()),
        NodeError::PermissionDenied(message) => {
            tracing::warn!(%message, "permission denied");
            Status::permission_denied(message.clone())
        }
        NodeError::Denied(reason) => Status::permission_denied(reason.clone()),
        NodeError::Unauthenticated(message) => Status::unauthenticated(message.clone()),
        NodeError::Overloaded => Status::unavailable("node overloaded; retry with backoff"),
        NodeError::ShuttingDown => Status::unavailable("node is shutting down; retry later"),
    }
}

#[cfg(test)]
mod tests {
    use fengqiao_core::Revision;

    use super::*;

    #[test]
    fn code_table() {
        let two = Revision::new(2).unwrap();
        let cases = [
            (NodeError::Domain(DomainError::invalid("report.date", "bad")), Code::InvalidArgument),
            (NodeError::Domain(DomainError::NotFound("x".into())), Code::NotFound),
            (
                NodeError::Domain(DomainError::StaleRevision { submitted: Revision::FIRST, current: two }),
                Code::FailedPrecondition,
            ),
            (
                NodeError::Domain(DomainError::FirstRevisionNotOne { submitted: two }),
                Code::FailedPrecondition,
            ),
            (NodeError::Domain(DomainError::RevisionConflict { revision: two }), Code::Aborted),
            (NodeError::Domain(DomainError::Aborted("stale".into())), Code::Aborted),
            (NodeError::Domain(DomainError::FailedPrecondition("closed".into())), Code::FailedPrecondition),
            (NodeError::Domain(DomainError::AlreadyExists("c1".into())), Code::AlreadyExists),
            (NodeError::Overloaded, Code::Unavailable),
            (NodeError::Delegated { unit: "a".into(), node_unit: "b".into() }, Code::FailedPrecondition),
            (NodeError::PermissionDenied("no".into()), Code::PermissionDenied),
            (NodeError::ShuttingDown, Code::Unavailable),
            (NodeError::Denied("no".into()), Code::PermissionDenied),
            (NodeError::Unauthenticated("who".into()), Code::Unauthenticated),
            (NodeError::from(StoreError::Corrupt("secret table text".into())), Code::Internal),
            (NodeError::from(StoreError::Database(sqlx::Error::PoolTimedOut)), Code::Unavailable),
            (NodeError::from(StoreError::Database(sqlx::Error::PoolClosed)), Code::Unavailable),
            (NodeError::from(StoreError::Database(sqlx::Error::RowNotFound)), Code::Internal),
        ];
        for (error, code) in cases {
            let status = to_status(&error);
            assert_eq!(status.code(), code, "{error:?}");
            assert!(!status.message().contains("secret"), "no store text reaches clients");
        }
    }

    #[test]
    fn unreadable_personal_data_is_a_failed_precondition_naming_the_case() {
        let error = NodeError::from(StoreError::PersonalData(
            "the petitioner of case c-1: sealed under key 0a1b2c3d, which this node does not hold".into(),
        ));
        let status = to_status(&error);
        assert_eq!(status.code(), Code::FailedPrecondition);
        assert!(status.message().contains("case c-1") && status.message().contains("0a1b2c3d"), "{status:?}");
    }

    #[test]
    fn stale_names_the_current_revision() {
        let error =
            DomainError::StaleRevision { submitted: Revision::FIRST, current: Revision::new(4).unwrap() };
        assert!(to_status(&NodeError::Domain(error)).message().contains("stored revision 4"));
    }
}
