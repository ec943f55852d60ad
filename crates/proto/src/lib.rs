//! The fengqiao wire protocol, version 1: the prost messages and tonic
//! services generated from `proto/fengqiao/v1/*.proto` ([`pb`]), the encoded
//! descriptor set for server reflection ([`FILE_DESCRIPTOR_SET`]), and the
//! conversions between wire messages and the `fengqiao-core` domain.
//!
//! Conversions from the wire validate once, at the edge: they either build a
//! domain value (which is then valid by construction) or return
//! [`DomainError::Invalid`] whose `field` is the full dotted path of the
//! offending field as the client sent it, e.g.
//! `report.disputes[2].wage_arrears.amount_claimed_cents`. Conversions to the
//! wire cannot fail. The read models of the domain
//! ([`fengqiao_core::read`], [`fengqiao_core::assessment`]) convert with
//! `From` to the wire and `TryFrom` back.
//!
//! Every service encodes and decodes with [`codec::WireCodec`], which answers
//! a request that does not decode (malformed protobuf, invalid UTF-8) with
//! INVALID_ARGUMENT.

use fengqiao_core::why;

mod assessment;
mod case;
pub mod codec;
mod enums;
mod read;
mod reconcile;
pub mod refusal;
mod report;
mod scalars;
mod unit;

pub use fengqiao_core::DomainError;

pub use case::{
    actor_from_pb, actor_to_pb, case_event_from_pb, case_event_to_pb, case_from_pb, case_to_pb,
    dispute_ref_from_pb, dispute_ref_to_pb, intake_from_pb, intake_to_pb, on_behalf_of_from_pb,
    on_behalf_of_to_pb, petitioner_from_pb, petitioner_to_pb, repeat_link_from_pb, repeat_link_to_pb,
    supervision_entry_from_pb, supervision_entry_to_pb,
};
pub use enums::{
    case_status_from_pb, case_status_to_pb, channel_from_pb, channel_to_pb, node_task_from_pb,
    node_task_to_pb, review_decision_from_pb, review_decision_to_pb, role_from_pb, role_to_pb,
    satisfaction_from_pb, satisfaction_to_pb, supervision_kind_from_pb, supervision_kind_to_pb,
};
pub use enums::{
    category_from_pb, category_to_pb, disposition_to_pb, outcome_from_pb, outcome_to_pb, tier_from_pb,
    tier_to_pb,
};
pub use reconcile::{
    digests_from_pb, digests_to_pb, exchange_report_from_pb, exchange_report_to_pb, held_case_event_from_pb,
    held_case_event_to_pb, held_report_from_pb, held_report_to_pb, period_digests_from_pb,
    period_digests_to_pb, trigger_from_pb, trigger_to_pb,
};
pub use report::{
    dispute_to_pb, report_from_pb, report_from_pb_at, report_to_pb, revision_info_to_pb,
    stored_report_from_pb, stored_report_to_pb,
};
pub use scalars::{from_timestamp, parse_date, parse_unit_id, timestamp};
pub use unit::{unit_from_pb, unit_from_pb_at, unit_to_pb};

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

/// Puts `path.` before the field of an [`DomainError::Invalid`]; an empty
/// `path` leaves the error as it is.
fn at(path: &str) -> impl Fn(DomainError) -> DomainError + '_ {
    move |error| {
        if path.is_empty() { error } else { error.within(path) }
    }
}

/// The dotted path of `field` below `path` (just `field` when `path` is empty).
fn join(path: &str, field: &str) -> String {
    if path.is_empty() { field.to_owned() } else { format!("{path}.{field}") }
}

/// The value of a message field that must be present.
fn required<T>(value: Option<T>, field: &str) -> Result<T, DomainError> {
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
    }
}
