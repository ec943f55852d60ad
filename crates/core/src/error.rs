//! The one error type of the domain, and the reason every refusal carries.
//!
//! A refusal says why in two ways at once: an English sentence (the gRPC
//! status message, for logs and for programs that print it) and a [`Why`]:
//! a stable code (`DATE_AFTER_TODAY`) with the values the sentence names
//! (`date`, `today`). The node sends the code and the values as a
//! `google.rpc.ErrorInfo` (domain [`ERROR_DOMAIN`]) beside the message;
//! clients show the sentence in the reader's language from their message
//! files (`refusal-date-after-today` in the CLI's Fluent files), and fall
//! back to the English sentence for a code they do not know. Build one with
//! [`why!`](crate::why).

use std::fmt;

use crate::report::Revision;

/// The `ErrorInfo.domain` of every refusal a node sends.
pub const ERROR_DOMAIN: &str = "fengqiao";

/// Why something is refused: a stable code, the English sentence and the
/// values in it, by name.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Why {
    /// `UPPER_SNAKE_CASE`, stable across releases (the `ErrorInfo.reason`).
    pub code: &'static str,
    /// The sentence in English, the values filled in.
    pub text: String,
    /// The values the sentence names, as text (the `ErrorInfo.metadata`).
    pub args: Vec<(&'static str, String)>,
}

impl Why {
    /// A reason from its parts; [`why!`](crate::why) is the usual way.
    pub fn new(code: &'static str, text: String, args: Vec<(&'static str, String)>) -> Why {
        Why { code, text, args }
    }

    /// The value named `name`, if the reason has it.
    pub fn arg(&self, name: &str) -> Option<&str> {
        self.args.iter().find(|(n, _)| *n == name).map(|(_, v)| v.as_str())
    }

    /// The message key clients look the code up by: `refusal-` and the code
    /// in lower case with dashes (`refusal-date-after-today`).
    pub fn message_key(code: &str) -> String {
        format!("refusal-{}", code.to_ascii_lowercase().replace('_', "-"))
    }
}

impl fmt::Display for Why {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.text)
    }
}

/// A [`Why`]: `why!(CODE, "sentence naming {value}", value = expression)`.
/// Every value the sentence names is given by name, and becomes both part
/// of the English sentence and a value of the reason (so a client can put
/// it into its own sentence). `crates/cli/tests/i18n_keys.rs` checks that
/// every code written this way has a message in each of the CLI's
/// languages.
#[macro_export]
macro_rules! why {
    ($code:ident, $text:literal $(, $name:ident = $value:expr)* $(,)?) => {{
        // All values first, then the names: a value may use a name that
        // another value's binding would shadow.
        let ($($name,)*) = ($(&$value,)*);
        $crate::error::Why::new(
            stringify!($code),
            format!($text $(, $name = $name)*),
            vec![$((stringify!($name), $name.to_string())),*],
        )
    }};
}

/// Why the domain refused something. Each variant corresponds to one gRPC
/// status code (see `fengqiao_node::status`).
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum DomainError {
    /// A field is malformed or out of range. `field` is the dotted path of the
    /// field as the client sent it (e.g. `report.disputes[2].category`).
    #[error("{field}: {reason}")]
    Invalid { field: String, reason: Why },
    /// The thing named does not exist here (or lies outside this node's
    /// subtree, which callers cannot tell apart on purpose).
    #[error("{0}")]
    NotFound(Why),
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
    FailedPrecondition(Why),
    /// The thing to create exists already with other content.
    #[error("{0}")]
    AlreadyExists(Why),
    /// A concurrent change got there first (a stale expected sequence).
    #[error("{0}")]
    Aborted(Why),
}

impl DomainError {
    /// An [`DomainError::Invalid`] for `field`.
    pub fn invalid(field: impl Into<String>, reason: Why) -> Self {
        DomainError::Invalid { field: field.into(), reason }
    }

    /// The reason as a client reads it: its code and values. An invalid
    /// field's reason also names the field (`field`); the revision errors
    /// have codes of their own.
    pub fn why(&self) -> Why {
        match self {
            DomainError::Invalid { field, reason } => {
                let mut why = reason.clone();
                why.text = self.to_string();
                why.args.insert(0, ("field", field.clone()));
                why
            }
            DomainError::NotFound(why)
            | DomainError::FailedPrecondition(why)
            | DomainError::AlreadyExists(why)
            | DomainError::Aborted(why) => why.clone(),
            DomainError::StaleRevision { submitted, current } => Why::new(
                "STALE_REVISION",
                self.to_string(),
                vec![("submitted", submitted.to_string()), ("current", current.to_string())],
            ),
            DomainError::FirstRevisionNotOne { submitted } => Why::new(
                "FIRST_REVISION_NOT_ONE",
                self.to_string(),
                vec![("submitted", submitted.to_string())],
            ),
            DomainError::RevisionConflict { revision } => {
                Why::new("REVISION_CONFLICT", self.to_string(), vec![("revision", revision.to_string())])
            }
        }
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
