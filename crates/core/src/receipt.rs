//! The petitioner's receipt (回执): a case number and a random query code
//! (查询码) for the public tracker (阳光信访).
//!
//! The code is 12 characters from a 31-letter alphabet without look-alikes
//! (59 bits), printed in groups of four (`7KQ2-M9XH-4TPW`). It is shown
//! once and stored only as `HMAC-SHA256(key = "fengqiao-receipt:" + case id,
//! code)` in hex: the case id salts it, so one table of guesses serves one
//! case only, and 59 bits keep an offline search of a leaked hash out of
//! reach. Checking a code compares in constant time.
//!
//! Pure: the caller supplies the random bytes.

use hmac::{Hmac, Mac};
use sha2::Sha256;

use crate::error::DomainError;
use crate::why;

/// The code's alphabet: digits and capitals without 0/O, 1/I/L.
pub const ALPHABET: &[u8; 31] = b"23456789ABCDEFGHJKMNPQRSTUVWXYZ";
/// Characters in a code (without the dashes).
pub const CODE_LEN: usize = 12;

fn alphabet() -> &'static [u8] {
    ALPHABET
}

/// A code from random bytes (at least [`CODE_LEN`] of them; more are used
/// to replace the rare byte that would bias the draw).
pub fn code_from(random: &[u8]) -> Option<String> {
    let letters = alphabet();
    let n = letters.len() as u8;
    // Rejection sampling: keep bytes below the largest multiple of n.
    let limit = 256 - 256 % u16::from(n);
    let mut out = String::with_capacity(CODE_LEN + 2);
    let mut drawn = 0;
    for byte in random {
        if u16::from(*byte) >= limit {
            continue;
        }
        if drawn > 0 && drawn % 4 == 0 {
            out.push('-');
        }
        out.push(letters[usize::from(*byte % n)] as char);
        drawn += 1;
        if drawn == CODE_LEN {
            return Some(out);
        }
    }
    None
}

/// A code as a person may type it (spaces, dashes, lowercase), in its
/// canonical form without dashes; `None` when it cannot be a code.
pub fn normalise(typed: &str) -> Option<String> {
    let code: String = typed
        .chars()
        .filter(|c| !matches!(c, '-' | ' ' | '\u{3000}'))
        .map(|c| c.to_ascii_uppercase())
        .collect();
    (code.len() == CODE_LEN && code.bytes().all(|b| alphabet().contains(&b))).then_some(code)
}

fn mac(case_id: &str) -> Hmac<Sha256> {
    let key = format!("fengqiao-receipt:{case_id}");
    <Hmac<Sha256> as Mac>::new_from_slice(key.as_bytes()).expect("HMAC takes any key length")
}

/// The stored form of `code` (typed or canonical) for `case_id`.
pub fn hash(case_id: &str, code: &str) -> String {
    let canonical = normalise(code).unwrap_or_else(|| code.to_owned());
    let mut mac = mac(case_id);
    mac.update(canonical.as_bytes());
    hex::encode(mac.finalize().into_bytes())
}

/// Whether `typed` is the code whose hash is `stored`, compared in constant
/// time. A malformed code or stored hash is simply wrong; the work done is
/// the same either way.
pub fn verify(case_id: &str, typed: &str, stored: &str) -> bool {
    let canonical = normalise(typed);
    let mut expected = [0u8; 32];
    let stored_ok = hex::decode_to_slice(stored, &mut expected).is_ok();
    let mut mac = mac(case_id);
    mac.update(canonical.as_deref().unwrap_or("").as_bytes());
    let matches = mac.verify_slice(&expected).is_ok();
    matches & stored_ok & canonical.is_some()
}

/// A stored hash: 64 lowercase hex digits.
pub fn check_hash(value: &str, field: &str) -> Result<(), DomainError> {
    if value.len() == 64 && value.bytes().all(|b| matches!(b, b'0'..=b'9' | b'a'..=b'f')) {
        Ok(())
    } else {
        Err(DomainError::invalid(
            field,
            why!(MUST_BE_64_LOWER_CASE_HEX, "must be 64 lower-case hex digits (HMAC-SHA256)"),
        ))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn codes_are_drawn_evenly_and_verify_as_typed() {
        let bytes: Vec<u8> = (0..=255u8).cycle().skip(17).take(64).collect();
        let code = code_from(&bytes).unwrap();
        assert_eq!(code.len(), CODE_LEN + 2);
        assert_eq!(code.matches('-').count(), 2);
        let stored = hash("C-1", &code);
        check_hash(&stored, "h").unwrap();
        assert!(verify("C-1", &code, &stored));
        assert!(verify("C-1", &code.to_lowercase().replace('-', " "), &stored));
        assert!(!verify("C-2", &code, &stored), "the case id salts the hash");
        assert!(!verify("C-1", "2222-2222-2222", &stored));
        assert!(!verify("C-1", "", &stored));
        assert!(!verify("C-1", &code, "not hex"));
        // Bytes that would bias the draw are skipped.
        assert!(code_from(&[255; 64]).is_none());
        assert!(code_from(&[0; 11]).is_none());
        assert_eq!(code_from(&[0; 12]).unwrap(), "2222-2222-2222");
    }
}
