//! A refusal on the wire: a status whose details say why in a form a
//! client can translate (see `fengqiao_core::error`).

use std::collections::HashMap;

use fengqiao_core::error::{ERROR_DOMAIN, Why};
use tonic::{Code, Status};
use tonic_types::{ErrorDetails, StatusExt};

/// A status of `code` saying `why`: its English sentence as the message,
/// its code and values as a `google.rpc.ErrorInfo` (domain
/// [`ERROR_DOMAIN`]), and for an invalid field (a `field` value) a
/// `google.rpc.BadRequest` naming it.
pub fn refusal(code: Code, why: &Why) -> Status {
    let metadata: HashMap<String, String> =
        why.args.iter().map(|(name, value)| ((*name).to_owned(), value.clone())).collect();
    let mut details = ErrorDetails::with_error_info(why.code, ERROR_DOMAIN, metadata);
    if code == Code::InvalidArgument
        && let Some(field) = why.arg("field")
    {
        let description = why.text.strip_prefix(&format!("{field}: ")).unwrap_or(&why.text);
        details.add_bad_request_violation(field, description);
    }
    Status::with_error_details(code, why.text.clone(), details)
}
