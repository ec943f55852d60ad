//! Any bytes arriving as a unit (tree snapshots travel down the downlink).
#![no_main]

use fengqiao_proto::pb;
use fengqiao_proto::{unit_from_pb, unit_to_pb};
use libfuzzer_sys::fuzz_target;
use prost::Message;

fuzz_target!(|data: &[u8]| {
    let Ok(wire) = pb::Unit::decode(data) else { return };
    let Ok(unit) = unit_from_pb(wire) else { return };
    let again = unit_from_pb(unit_to_pb(&unit)).expect("a converted unit converts back");
    assert_eq!(again, unit);
});
