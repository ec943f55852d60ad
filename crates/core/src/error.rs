//! The one error type of the domain.

use crate::report::Revision;

/// Why the domain refused something. Each variant corresponds to one gRPC
/// status code (see `fengqiao_node::status`).
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum DomainError {
    /// A field is malformed or out of range. `field` is the dotted path of the
    /// field as the client sent it (e.g. `report.disputes[2].category`).
    #[error("{field}: {reason}")]
    Invalid { field: String, reason: String },
    /// The thing named does not exist here (or lies outside this node's
    /// subtree, which callers cannot tell apart on purpose).
    #[error("{0}")]
    NotFound(String),
    /// A submission carries a revision lower than the stored one.
    #[error("revision {submitted} is older than the stored revision {current}")]
    StaleRevision { submitted: Revision, current: Revision },
    /// The first report for a (unit, date) must be revision 1.
    #[error(
        "no report is stored for this unit and date yet, so revision {submitted} cannot be taken: the first revision is 1"
    )]
    FirstRevisionNotOne { submitted: Revision },
    /// The same revision was already stored with different content.
    #[error(
        "revision {revision} is already stored with different content; submit a higher revision to correct it"
    )]
    RevisionConflict { revision: Revision },
    /// The thing is not in a state that allows the request (an illegal case
    /// transition names the current state).
    #[error("{0}")]
    FailedPrecondition(String),
    /// The thing to create exists already with other content.
    #[error("{0}")]
    AlreadyExists(String),
    /// A concurrent change got there first (a stale expected sequence).
    #[error("{0}")]
    Aborted(String),
}

impl DomainError {
    /// An [`DomainError::Invalid`] for `field`.
    pub fn invalid(field: impl Into<String>, reason: impl Into<String>) -> Self {
        DomainError::Invalid { field: field.into(), reason: reason.into() }
    }

    /// The same error with `prefix.` put before its field path.
    #[must_use]
    pub fn within(self, prefix: &str) -> Self {
        match self {
            DomainError::Invalid { field, reason } => {
                DomainError::Invalid { field: format!("{prefix}.{field}"), reason }
            }
            other => other,
        }
    }
}
