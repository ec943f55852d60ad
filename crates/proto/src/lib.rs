//! The fengqiao wire protocol, version 1: the prost messages and tonic
//! services generated from `proto/fengqiao/v1/*.proto` ([`pb`]), the encoded
//! descriptor set for server reflection ([`FILE_DESCRIPTOR_SET`]), and the
//! conversions between wire messages and the `fengqiao-core` domain.
//!
//! # How conversions are written
//!
//! - To the wire: `impl From<&Domain> for pb::X` (`From<T>` for a `Copy`
//!   enum: `pb::Tier::from(tier)`); it cannot fail. The three that need an
//!   input the domain value does not hold stay functions:
//!   [`case_to_pb`] (today, held here), [`stored_report_to_pb`] (on time)
//!   and [`period_digests_to_pb`] (the period).
//! - From the wire: `impl TryFrom<pb::X> for Domain` with
//!   `Error = DomainError`, validating once at the edge: the result is valid
//!   by construction, or [`DomainError::Invalid`] whose `field` is relative
//!   to the message (`disputes[2].category`; an empty field means the
//!   message as a whole). The caller says where the message was found with
//!   [`convert_at`]`(msg, "report")` or, for a field that must be set,
//!   [`required_at`]`(request.report, "report")`, so the client reads the
//!   full dotted path of what it sent, e.g.
//!   `report.disputes[2].wage_arrears.amount_claimed_cents`. A message that
//!   carries a wire-only flag beside the domain value converts to a tuple
//!   (`(Case, bool)` with `held_here`, `(StoredReport, bool)` with
//!   `on_time`, `(NaiveDate, Digests)`).
//! - Enum fields are bare `i32`s on the wire and a refusal must name the
//!   field, which `TryFrom<i32>` cannot know, so they read with
//!   [`WireEnum::from_wire`]`(value, field)`: `Tier::from_wire(unit.tier,
//!   "tier")`.
//! - An actor read with its legacy one-word text ([`actor_from_pb`]) reads
//!   two fields of the enclosing message, so it too is a function.
//!
//! Scalars (unit ids, dates, timestamps, non-blank texts) have `parse_*`
//! helpers that name the field they read.
//!
//! [`export`] writes the files of an export (CSV, JSON lines) from the
//! wire's stored reports, for the CLI and the dashboard alike.
//!
//! Every service encodes and decodes with [`codec::WireCodec`], which answers
//! a request that does not decode (malformed protobuf, invalid UTF-8) with
//! INVALID_ARGUMENT.

use fengqiao_core::why;

mod action;
mod assessment;
mod case;
pub mod codec;
mod department;
mod enums;
pub mod export;
mod read;
mod reconcile;
pub mod refusal;
mod report;
mod scalars;
mod summary_state;
mod unit;

pub use fengqiao_core::DomainError;

pub use case::{actor_from_pb, case_to_pb, event_for_reader};
pub use enums::WireEnum;
pub use reconcile::period_digests_to_pb;
pub use report::stored_report_to_pb;
pub use scalars::{from_timestamp, parse_date, parse_optional_date, parse_text, parse_unit_id, timestamp};
pub use summary_state::{rollup_state_from_pb, rollup_state_to_pb};

/// The most encoded bytes of any answer a node gives a client: a unary
/// response, or one message of a stream (1 MiB, a quarter of the 4 MiB every
/// stock gRPC client accepts). Lists are paged, and streams split, by
/// encoded size as well as by count to stay within it; a response that
/// would still exceed it is refused by the server
/// (OUT_OF_RANGE) rather than sent. See docs/API.md, "Sizes".
pub const MAX_ANSWER_BYTES: usize = 1024 * 1024;

/// What a client of a node decodes: the stock 4 MiB, four times
/// [`MAX_ANSWER_BYTES`], so it reads every answer of a node of this or a
/// later version whatever the node's own `limits.max_message_bytes`.
pub const CLIENT_MAX_DECODING_BYTES: usize = 4 * MAX_ANSWER_BYTES;

/// The generated messages and services of package `fengqiao.v1`.
// Generated code, with doc comments copied from the .proto files.
#[allow(clippy::all)]
pub mod pb {
    tonic::include_proto!("fengqiao.v1");
}

/// The encoded `FileDescriptorSet` of every fengqiao `.proto` file, for
/// `tonic-reflection`.
pub const FILE_DESCRIPTOR_SET: &[u8] = include_bytes!(concat!(env!("OUT_DIR"), "/fengqiao_descriptor.bin"));

/// Converts `message`, found at `path` in what the client sent, with its
/// `TryFrom`: the field of an [`DomainError::Invalid`] is put below `path`
/// (e.g. `date` becomes `reports[4].report.date`), and an error about the
/// message as a whole (empty field) names `path` itself. An empty `path`
/// leaves the error as it is.
pub fn convert_at<M, T>(message: M, path: &str) -> Result<T, DomainError>
where
    T: TryFrom<M, Error = DomainError>,
{
    T::try_from(message).map_err(at(path))
}

/// [`convert_at`] for each message of a repeated field, at `path[i]`.
pub fn convert_each<M, T>(messages: Vec<M>, path: &str) -> Result<Vec<T>, DomainError>
where
    T: TryFrom<M, Error = DomainError>,
{
    messages
        .into_iter()
        .enumerate()
        .map(|(i, message)| convert_at(message, &format!("{path}[{i}]")))
        .collect()
}

/// [`convert_at`] for a message field that must be set: absent is
/// [`DomainError::Invalid`] naming `path`.
pub fn required_at<M, T>(message: Option<M>, path: &str) -> Result<T, DomainError>
where
    T: TryFrom<M, Error = DomainError>,
{
    convert_at(required(message, path)?, path)
}

/// Puts `path.` before the field of an [`DomainError::Invalid`] (an empty
/// field becomes `path`); an empty `path` leaves the error as it is.
fn at(path: &str) -> impl Fn(DomainError) -> DomainError + '_ {
    move |error| match error {
        _ if path.is_empty() => error,
        DomainError::Invalid { field, reason } if field.is_empty() => {
            DomainError::Invalid { field: path.to_owned(), reason }
        }
        error => error.within(path),
    }
}

/// The dotted path of `field` below `path` (just `field` when `path` is empty).
fn join(path: &str, field: &str) -> String {
    if path.is_empty() { field.to_owned() } else { format!("{path}.{field}") }
}

/// The value of a message field that must be present; absent is
/// [`DomainError::Invalid`] naming `field`.
pub fn required<T>(value: Option<T>, field: &str) -> Result<T, DomainError> {
    value.ok_or_else(|| DomainError::invalid(field, why!(MUST_BE_SET, "must be set")))
}

#[cfg(test)]
mod tests {
    use prost::Message;

    use super::*;

    #[test]
    fn descriptor_set_names_both_services() {
        let set = prost_types::FileDescriptorSet::decode(FILE_DESCRIPTOR_SET).unwrap();
        let services: Vec<&str> =
            set.file.iter().flat_map(|file| file.service.iter().map(|s| s.name())).collect();
        assert!(services.contains(&"ReportingService"));
        assert!(services.contains(&"UnitService"));
    }

    #[test]
    fn paths_join() {
        assert_eq!(join("", "unit_id"), "unit_id");
        assert_eq!(join("report", "unit_id"), "report.unit_id");
        let error = DomainError::invalid("date", fengqiao_core::why!(BAD, "bad"));
        assert_eq!(at("")(error.clone()), error);
        assert_eq!(at("a.b")(error), DomainError::invalid("a.b.date", fengqiao_core::why!(BAD, "bad")));
        let whole = DomainError::invalid("", fengqiao_core::why!(MUST_BE_SET, "must be set"));
        assert_eq!(at("")(whole.clone()), whole);
        assert_eq!(
            at("a.b")(whole),
            DomainError::invalid("a.b", fengqiao_core::why!(MUST_BE_SET, "must be set"))
        );
    }
}
