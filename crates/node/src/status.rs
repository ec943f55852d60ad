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

use fengqiao_core::error::Why;
use fengqiao_core::{DomainError, why};
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
    PermissionDenied(Why),
    /// The authorization rules refuse the caller (already logged with the
    /// caller, the RPC and the target).
    #[error("{0}")]
    Denied(Why),
    /// The request carries no caller.
    #[error("{0}")]
    Unauthenticated(Why),
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

pub use fengqiao_proto::refusal::refusal;

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
            refusal(code, &domain.why())
        }
        NodeError::Store(store) if matches!(**store, StoreError::PersonalData(_)) => {
            // The text names the row and the key id, never the data.
            tracing::error!(error = %store, "personal data unreadable");
            let why =
                why!(PERSONAL_DATA_UNREADABLE, "{error}; check the node's personal-data keys", error = store);
            refusal(Code::FailedPrecondition, &why)
        }
        NodeError::Store(store) if store.is_unavailable() => {
            tracing::error!(error = %store, "database unavailable");
            refusal(
                Code::Unavailable,
                &why!(DATABASE_UNAVAILABLE, "database unavailable; nothing was changed, retry later"),
            )
        }
        NodeError::Store(store) => {
            tracing::error!(error = %store, "store failure");
            refusal(
                Code::Internal,
                &why!(INTERNAL_STORAGE_ERROR, "internal storage error; nothing was changed, retry later"),
            )
        }
        NodeError::Delegated { unit, node_unit } => refusal(
            Code::FailedPrecondition,
            &why!(
                DELEGATED,
                "unit {unit} is served by the node of unit {node_unit}; submit there",
                unit = unit,
                node_unit = node_unit
            ),
        ),
        NodeError::PermissionDenied(why) => {
            tracing::warn!(message = %why, "permission denied");
            refusal(Code::PermissionDenied, why)
        }
        NodeError::Denied(why) => refusal(Code::PermissionDenied, why),
        NodeError::Unauthenticated(why) => refusal(Code::Unauthenticated, why),
        NodeError::Overloaded => {
            refusal(Code::Unavailable, &why!(OVERLOADED, "node overloaded; retry with backoff"))
        }
        NodeError::ShuttingDown => {
            refusal(Code::Unavailable, &why!(SHUTTING_DOWN, "node is shutting down; retry later"))
        }
    }
}

#[cfg(test)]
mod tests {
    use fengqiao_core::Revision;

    use fengqiao_core::error::ERROR_DOMAIN;
    use tonic_types::StatusExt;

    use super::*;

    #[test]
    fn code_table() {
        let two = Revision::new(2).unwrap();
        let cases = [
            (NodeError::Domain(DomainError::invalid("report.date", why!(BAD, "bad"))), Code::InvalidArgument),
            (NodeError::Domain(DomainError::NotFound(why!(X, "x"))), Code::NotFound),
            (
                NodeError::Domain(DomainError::StaleRevision { submitted: Revision::FIRST, current: two }),
                Code::FailedPrecondition,
            ),
            (
                NodeError::Domain(DomainError::FirstRevisionNotOne { submitted: two }),
                Code::FailedPrecondition,
            ),
            (NodeError::Domain(DomainError::RevisionConflict { revision: two }), Code::Aborted),
            (NodeError::Domain(DomainError::Aborted(why!(STALE, "stale"))), Code::Aborted),
            (
                NodeError::Domain(DomainError::FailedPrecondition(why!(CLOSED, "closed"))),
                Code::FailedPrecondition,
            ),
            (NodeError::Domain(DomainError::AlreadyExists(why!(C1, "c1"))), Code::AlreadyExists),
            (NodeError::Overloaded, Code::Unavailable),
            (NodeError::Delegated { unit: "a".into(), node_unit: "b".into() }, Code::FailedPrecondition),
            (NodeError::PermissionDenied(why!(NO, "no")), Code::PermissionDenied),
            (NodeError::ShuttingDown, Code::Unavailable),
            (NodeError::Denied(why!(NO, "no")), Code::PermissionDenied),
            (NodeError::Unauthenticated(why!(WHO, "who")), Code::Unauthenticated),
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
    fn every_refusal_carries_its_code_and_values() {
        let two = Revision::new(2).unwrap();
        let invalid = DomainError::invalid(
            "report.date",
            why!(AFTER_TODAY, "{date} is after today ({today})", date = "2026-12-09", today = "2026-12-05"),
        );
        let status = to_status(&NodeError::Domain(invalid));
        assert_eq!(status.message(), "report.date: 2026-12-09 is after today (2026-12-05)");
        let details = status.get_error_details();
        let info = details.error_info().expect("an ErrorInfo");
        assert_eq!((info.reason.as_str(), info.domain.as_str()), ("AFTER_TODAY", ERROR_DOMAIN));
        assert_eq!(info.metadata.get("field").map(String::as_str), Some("report.date"));
        assert_eq!(info.metadata.get("date").map(String::as_str), Some("2026-12-09"));
        assert_eq!(info.metadata.get("today").map(String::as_str), Some("2026-12-05"));
        let violations = &details.bad_request().expect("a BadRequest").field_violations;
        assert_eq!(violations.len(), 1);
        assert_eq!(violations[0].field, "report.date");
        assert_eq!(violations[0].description, "2026-12-09 is after today (2026-12-05)");

        for (error, reason) in [
            (
                NodeError::Domain(DomainError::StaleRevision { submitted: Revision::FIRST, current: two }),
                "STALE_REVISION",
            ),
            (NodeError::Delegated { unit: "a".into(), node_unit: "b".into() }, "DELEGATED"),
            (NodeError::Overloaded, "OVERLOADED"),
            (NodeError::from(StoreError::Corrupt("secret".into())), "INTERNAL_STORAGE_ERROR"),
        ] {
            let status = to_status(&error);
            let details = status.get_error_details();
            assert_eq!(details.error_info().map(|info| info.reason.as_str()), Some(reason), "{error:?}");
            assert!(details.bad_request().is_none(), "only an invalid field names one");
        }
        let stale = to_status(&NodeError::Domain(DomainError::StaleRevision {
            submitted: Revision::FIRST,
            current: two,
        }));
        let details = stale.get_error_details();
        let metadata = &details.error_info().unwrap().metadata;
        assert_eq!((metadata["submitted"].as_str(), metadata["current"].as_str()), ("1", "2"));
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
