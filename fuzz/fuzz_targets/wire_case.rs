//! Any bytes arriving as a whole case: no panic; an accepted case
//! round-trips (the wire's derived fields are recomputed, so compare the
//! domain values).
#![no_main]

use fengqiao_proto::pb;
use fengqiao_proto::{case_from_pb, case_to_pb};
use libfuzzer_sys::fuzz_target;
use prost::Message;

/// A fixed "today" so the target is deterministic.
fn today() -> chrono::NaiveDate {
    chrono::NaiveDate::from_ymd_opt(2026, 11, 28).expect("a real date")
}

fuzz_target!(|data: &[u8]| {
    let Ok(wire) = pb::Case::decode(data) else { return };
    let Ok((case, held_here)) = case_from_pb(wire, "case") else { return };
    let (again, held_again) =
        case_from_pb(case_to_pb(&case, today(), held_here), "case").expect("a converted case converts back");
    assert_eq!(again, case);
    assert_eq!(held_again, held_here);
});
