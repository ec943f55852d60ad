//! Any bytes a client could send as a daily report: decoding may fail, the
//! conversion may refuse, but nothing panics, and what is accepted survives
//! the trip back to the wire unchanged.
#![no_main]

use fengqiao_proto::pb;
use fengqiao_proto::{report_from_pb_at, report_to_pb};
use libfuzzer_sys::fuzz_target;
use prost::Message;

fuzz_target!(|data: &[u8]| {
    let Ok(wire) = pb::DailyReport::decode(data) else { return };
    let Ok(report) = report_from_pb_at(Some(wire), "report") else { return };
    let again = report_from_pb_at(Some(report_to_pb(&report)), "report").expect("a converted report converts back");
    assert_eq!(again, report);
});
