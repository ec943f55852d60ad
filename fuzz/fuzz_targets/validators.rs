//! The text validators every request passes through: identity URIs, unit
//! ids, ID numbers, dated moves and the unit-tree CSV.
#![no_main]

use fengqiao_core::UnitId;
use fengqiao_core::UnitTree;
use fengqiao_core::case::{check_name, check_text, normalise_id_number};
use fengqiao_core::identity::Identity;
use fengqiao_core::unit::{format_moves, parse_moves};
use libfuzzer_sys::fuzz_target;

fuzz_target!(|data: &[u8]| {
    let Ok(text) = std::str::from_utf8(data) else { return };
    if let Ok(identity) = Identity::from_uri(text) {
        assert_eq!(identity.to_uri(), text, "an accepted identity URI is canonical");
    }
    if let Ok(id) = UnitId::parse(text) {
        assert_eq!(id.as_str(), text);
    }
    if let Ok(normalised) = normalise_id_number(text) {
        assert_eq!(normalise_id_number(&normalised).as_deref(), Ok(normalised.as_str()), "normalising is idempotent");
    }
    let _ = check_text(text, "text");
    let _ = check_name(text, "name");
    if let Ok(moves) = parse_moves(text, "moves") {
        assert_eq!(parse_moves(&format_moves(&moves), "moves").expect("formatted moves parse"), moves);
    }
    if let Ok(tree) = UnitTree::from_csv(text) {
        let again = UnitTree::from_csv(&tree.to_csv()).expect("a written tree reads back");
        assert_eq!(again.to_csv(), tree.to_csv());
    }
});
