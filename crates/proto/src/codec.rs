//! The codec of every fengqiao service (`tonic_prost_build`'s `codec_path`):
//! prost's, except that a request that does not decode — a malformed
//! protobuf, a string field that is not UTF-8 — is INVALID_ARGUMENT, the
//! client's error, where tonic answers INTERNAL. The status says which
//! message failed and why, as prost puts it (field names, never the bytes).
//!
//! The codec cannot see which side it serves: the server decodes requests,
//! a client decodes responses. A message is a request when its type's name
//! ends in `Request` — what buf's STANDARD lint (`RPC_REQUEST_STANDARD_NAME`)
//! requires of every request message and forbids for responses; a response
//! that does not decode stays INTERNAL at the client, as tonic has it.

use std::marker::PhantomData;

use prost::Message;
use tonic::Status;
use tonic::codec::{Codec, DecodeBuf, Decoder};
use tonic_prost::{ProstCodec, ProstDecoder, ProstEncoder};

/// [`ProstCodec`] with request decode errors as INVALID_ARGUMENT.
#[derive(Debug, Clone)]
pub struct WireCodec<T, U> {
    inner: ProstCodec<T, U>,
}

impl<T, U> Default for WireCodec<T, U> {
    fn default() -> Self {
        WireCodec { inner: ProstCodec::default() }
    }
}

impl<T, U> Codec for WireCodec<T, U>
where
    T: Message + Send + 'static,
    U: Message + Default + Send + 'static,
{
    type Encode = T;
    type Decode = U;
    type Encoder = ProstEncoder<T>;
    type Decoder = WireDecoder<U>;

    fn encoder(&mut self) -> Self::Encoder {
        self.inner.encoder()
    }

    fn decoder(&mut self) -> Self::Decoder {
        WireDecoder { inner: self.inner.decoder(), _message: PhantomData }
    }
}

/// Decodes like [`ProstDecoder`]; see [`WireCodec`].
#[derive(Debug)]
pub struct WireDecoder<U> {
    inner: ProstDecoder<U>,
    _message: PhantomData<U>,
}

impl<U: Message + Default> Decoder for WireDecoder<U> {
    type Item = U;
    type Error = Status;

    fn decode(&mut self, buf: &mut DecodeBuf<'_>) -> Result<Option<U>, Status> {
        self.inner.decode(buf).map_err(|status| match is_request::<U>() {
            true => crate::refusal::refusal(
                tonic::Code::InvalidArgument,
                &fengqiao_core::why!(
                    REQUEST_DOES_NOT_DECODE,
                    "the request does not decode: {reason}",
                    reason = status.message()
                ),
            ),
            false => status,
        })
    }
}

/// Whether `U` is a request message (see the module docs).
fn is_request<U>() -> bool {
    std::any::type_name::<U>().ends_with("Request")
}

#[cfg(test)]
mod tests {
    use prost::Message as _;
    use prost_types::FileDescriptorSet;

    use super::*;
    use crate::pb;

    /// The rule `is_request` relies on holds for every method of every
    /// fengqiao service: its input is `…Request`, its output is not.
    #[test]
    fn every_request_and_only_requests_end_in_request() {
        let set = FileDescriptorSet::decode(crate::FILE_DESCRIPTOR_SET).unwrap();
        let mut methods = 0;
        for file in &set.file {
            for service in &file.service {
                for method in &service.method {
                    let input = method.input_type();
                    let output = method.output_type();
                    assert!(input.ends_with("Request"), "{}: input {input}", method.name());
                    assert!(!output.ends_with("Request"), "{}: output {output}", method.name());
                    methods += 1;
                }
            }
        }
        assert!(methods > 20, "{methods} methods");
        assert!(is_request::<pb::SubmitDailyReportRequest>());
        assert!(!is_request::<pb::SubmitDailyReportResponse>());
        assert!(!is_request::<pb::SubscribeResponse>());
    }
}
