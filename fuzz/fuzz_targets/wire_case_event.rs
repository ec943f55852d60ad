//! Any bytes arriving as a case event (the uplink and the downlink carry
//! them between nodes): no panic, and an accepted event round-trips.
#![no_main]

use fengqiao_proto::pb;
use fengqiao_proto::{case_event_from_pb, case_event_to_pb};
use libfuzzer_sys::fuzz_target;
use prost::Message;

fuzz_target!(|data: &[u8]| {
    let Ok(wire) = pb::CaseEvent::decode(data) else { return };
    let Ok(event) = case_event_from_pb(wire, "event") else { return };
    let again = case_event_from_pb(case_event_to_pb(&event), "event").expect("a converted event converts back");
    assert_eq!(again, event);
});
