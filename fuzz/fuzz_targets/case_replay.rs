//! A log of case events as a node could receive it (each event valid on its
//! own, the sequence arbitrary): replay either refuses or yields a case
//! whose every prefix also replays — it never panics.
#![no_main]

use fengqiao_core::case::Case;
use fengqiao_proto::pb;
use fengqiao_proto::case_event_from_pb;
use libfuzzer_sys::fuzz_target;
use prost::Message;

fuzz_target!(|data: &[u8]| {
    // A length-prefixed list of encoded events.
    let mut events = Vec::new();
    let mut rest = data;
    while let Some((&len, tail)) = rest.split_first() {
        let len = usize::from(len).min(tail.len());
        let (chunk, tail) = tail.split_at(len);
        rest = tail;
        if let Ok(wire) = pb::CaseEvent::decode(chunk)
            && let Ok(event) = case_event_from_pb(wire, "event")
        {
            events.push(event);
        }
    }
    if let Ok(case) = Case::replay(&events) {
        assert_eq!(usize::try_from(case.seq).ok(), Some(events.len()));
        for end in 1..events.len() {
            Case::replay(&events[..end]).expect("a prefix of a legal log is legal");
        }
    }
});
