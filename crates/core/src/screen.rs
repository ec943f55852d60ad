//! Screening free text for personal data.
//!
//! Summaries, notes, reasons, plans, resolutions, supervision texts,
//! notices and the names of officials travel up the tree, into rollups,
//! exports and the dashboard. None of them may carry a petitioner's (or
//! anyone's) identity number, phone number or e-mail address: personal data
//! belongs only in a case's petitioner fields, which are sealed at rest and
//! leave a node only with the case. [`find_personal_data`] finds what a text
//! must not hold; [`check_free_text`] turns a finding into the
//! INVALID_ARGUMENT every entry path (gRPC, uplink, CLI) gives, naming the
//! field and the kind found, never the value.
//!
//! What counts, each as a whole token (no ASCII digit right before or after
//! it; full-width digits and punctuation count as their ASCII forms):
//!
//! - a resident identity number: 18 characters (17 digits and a digit or
//!   `X`, optionally grouped 6-8-4 by a space or hyphen) whose birth date
//!   (characters 7–14) is a real date between 1900 and 2099 and whose check
//!   character is right (GB 11643, ISO 7064 MOD 11-2). The old 15-digit form
//!   is not screened: it has no check digit, expired in 2013, and cannot be
//!   told from a group's 15-digit unit code (410411001001001);
//! - a mobile number: `1[3-9]` and 9 more digits (grouped 3-4-4 or 3-8 by
//!   spaces or hyphens, or not at all), optionally after `+86`, `0086` or a
//!   glued `86`;
//! - a landline number: an area code (`010`, `02x`, or `0` and three digits
//!   from `03xx` on; or after `+86`/`0086` without its `0`), set apart by
//!   parentheses, a space or a hyphen, and a local number of 7 or 8 digits
//!   not starting with 0 (0375-1234567, 010-12345678, (0375)2345678);
//! - an e-mail address: `local@domain.tld`.
//!
//! What passes: amounts (8642000), dates (20190301, 2019-03-01), times,
//! case ids, unit codes (410411001001), 18-digit numbers whose check
//! character or birth date is wrong, and numbers of 11 digits not starting
//! with `1[3-9]` — so an area code glued to its local number (03752345678)
//! passes, as does a local number without its area code: neither can be
//! told from other numbers.

use crate::error::DomainError;
use crate::why;

/// What kind of personal data a text holds.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub enum PersonalDataKind {
    ResidentIdNumber,
    MobileNumber,
    LandlineNumber,
    EmailAddress,
}

impl PersonalDataKind {
    /// The kind in words, for error messages.
    pub fn describe(self) -> &'static str {
        match self {
            PersonalDataKind::ResidentIdNumber => "a resident identity number",
            PersonalDataKind::MobileNumber => "a mobile phone number",
            PersonalDataKind::LandlineNumber => "a landline phone number",
            PersonalDataKind::EmailAddress => "an e-mail address",
        }
    }
}

/// One piece of personal data found in a text: its kind and where it
/// starts (the position of its first character, counting from 1).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Finding {
    pub kind: PersonalDataKind,
    pub at: usize,
}

/// Refuses `value` as the content of the free-text field `field` when it
/// holds personal data: INVALID_ARGUMENT naming the field, each kind found
/// and where it starts, never the value itself.
pub fn check_free_text(value: &str, field: &str) -> Result<(), DomainError> {
    let findings = find_personal_data(value);
    if findings.is_empty() {
        return Ok(());
    }
    let mut kinds: Vec<Finding> = Vec::new();
    for finding in findings {
        if !kinds.iter().any(|seen| seen.kind == finding.kind) {
            kinds.push(finding);
        }
    }
    let found: Vec<String> =
        kinds.iter().map(|f| format!("{} at character {}", f.kind.describe(), f.at)).collect();
    Err(DomainError::invalid(
        field,
        why!(
            MUST_NOT_HOLD_PERSONAL_DATA_FOUND,
            "must not hold personal data, found {found}; a petitioner's particulars go only in the case's petitioner fields",
            found = found.join(" and ")
        ),
    ))
}

/// Every piece of personal data in `text`, in order.
pub fn find_personal_data(text: &str) -> Vec<Finding> {
    let chars: Vec<char> = text.chars().map(normalise).collect();
    let mut findings = Vec::new();
    let mut i = 0;
    while i < chars.len() {
        if i > 0 && is_digit(chars[i - 1]) {
            i += 1;
            continue;
        }
        let matched = [
            (PersonalDataKind::ResidentIdNumber, resident_id_at(&chars, i)),
            (PersonalDataKind::MobileNumber, mobile_at(&chars, i)),
            (PersonalDataKind::LandlineNumber, landline_at(&chars, i)),
        ]
        .into_iter()
        .find_map(|(kind, end)| end.map(|end| (kind, end)));
        match matched {
            Some((kind, end)) => {
                findings.push(Finding { kind, at: i + 1 });
                i = end;
            }
            None => i += 1,
        }
    }
    findings.extend(emails(&chars));
    findings.sort_by_key(|finding| finding.at);
    findings
}

/// Whether `value` is exactly a resident identity number (18 characters,
/// real birth date, right check character).
pub fn is_resident_id_number(value: &str) -> bool {
    let chars: Vec<char> = value.chars().collect();
    chars.len() == 18 && resident_id_at(&chars, 0) == Some(18)
}

/// The check character of a resident identity number (GB 11643, ISO 7064
/// MOD 11-2) for its first 17 digits (ASCII).
pub fn resident_id_check_char(first_17: &[u8; 17]) -> u8 {
    const WEIGHTS: [u32; 17] = [7, 9, 10, 5, 8, 4, 2, 1, 6, 3, 7, 9, 10, 5, 8, 4, 2];
    const CHECK: &[u8; 11] = b"10X98765432";
    let sum: u32 = first_17.iter().zip(WEIGHTS).map(|(b, w)| u32::from(b.wrapping_sub(b'0')) * w).sum();
    CHECK[(sum % 11) as usize]
}

/// Full-width forms (what a Chinese input method types) as ASCII, and the
/// dashes as a hyphen.
fn normalise(c: char) -> char {
    match c {
        '\u{3000}' => ' ',
        '\u{FF01}'..='\u{FF5E}' => char::from_u32(u32::from(c) - 0xFEE0).unwrap_or(c),
        '\u{2010}'..='\u{2015}' | '\u{2212}' => '-',
        _ => c,
    }
}

fn is_digit(c: char) -> bool {
    c.is_ascii_digit()
}

fn digit_at(chars: &[char], i: usize) -> Option<u32> {
    chars.get(i).and_then(|c| c.to_digit(10).filter(|_| c.is_ascii_digit()))
}

/// The index after `n` digits starting at `i`, if they are there.
fn digits(chars: &[char], i: usize, n: usize) -> Option<usize> {
    (i..i + n).all(|j| digit_at(chars, j).is_some()).then_some(i + n)
}

/// `i`, or the index after one grouping separator (space or hyphen) at `i`.
fn separator(chars: &[char], i: usize) -> usize {
    match chars.get(i) {
        Some(' ' | '-') => i + 1,
        _ => i,
    }
}

/// A token ends at `i`: the text ends or the next character is no digit.
fn ends(chars: &[char], i: usize) -> bool {
    chars.get(i).is_none_or(|c| !is_digit(*c))
}

fn literal(chars: &[char], i: usize, text: &str) -> Option<usize> {
    let mut j = i;
    for expected in text.chars() {
        if chars.get(j) != Some(&expected) {
            return None;
        }
        j += 1;
    }
    Some(j)
}

/// A resident identity number starting at `i`; the index after it.
fn resident_id_at(chars: &[char], i: usize) -> Option<usize> {
    let mut body = Vec::with_capacity(18);
    let mut j = i;
    for (group, length) in [6usize, 8, 3].into_iter().enumerate() {
        if group > 0 {
            j = separator(chars, j);
        }
        let end = digits(chars, j, length)?;
        body.extend(chars[j..end].iter().map(|c| *c as u8));
        j = end;
    }
    let check = match chars.get(j) {
        Some(c) if is_digit(*c) => *c as u8,
        Some('X' | 'x') => b'X',
        _ => return None,
    };
    j += 1;
    if !ends(chars, j) {
        return None;
    }
    let first_17: [u8; 17] = body.try_into().ok()?;
    if resident_id_check_char(&first_17) != check || !birth_date_is_real(&first_17[6..14]) {
        return None;
    }
    Some(j)
}

/// `YYYYMMDD` (ASCII digits) is a date between 1900 and 2099.
fn birth_date_is_real(date: &[u8]) -> bool {
    let number = |range: std::ops::Range<usize>| {
        date[range].iter().fold(0u32, |n, b| n * 10 + u32::from(b.wrapping_sub(b'0')))
    };
    let (year, month, day) = (number(0..4), number(4..6), number(6..8));
    (1900..=2099).contains(&year) && chrono::NaiveDate::from_ymd_opt(year as i32, month, day).is_some()
}

/// A mobile number (with its country prefix, if any) starting at `i`.
fn mobile_at(chars: &[char], i: usize) -> Option<usize> {
    let prefixed = ["(+86)", "+86", "0086"].iter().find_map(|prefix| literal(chars, i, prefix));
    if let Some(after) = prefixed
        && let Some(end) = mobile_body(chars, separator(chars, after))
    {
        return Some(end);
    }
    if let Some(after) = literal(chars, i, "86")
        && let Some(end) = mobile_body(chars, after)
    {
        return Some(end);
    }
    mobile_body(chars, i)
}

/// `1[3-9]x xxxx xxxx` at `i`, grouped 3-4-4 or 3-8 or not at all.
fn mobile_body(chars: &[char], i: usize) -> Option<usize> {
    if digit_at(chars, i) != Some(1) || !matches!(digit_at(chars, i + 1), Some(3..=9)) {
        return None;
    }
    let j = digits(chars, i, 3)?;
    let j = digits(chars, separator(chars, j), 4)?;
    let j = digits(chars, separator(chars, j), 4)?;
    ends(chars, j).then_some(j)
}

/// A landline number (area code, a separation, local number) starting at `i`.
fn landline_at(chars: &[char], i: usize) -> Option<usize> {
    let international = ["+86", "0086"].iter().find_map(|prefix| literal(chars, i, prefix));
    let local_start = match international {
        Some(after) => set_apart(chars, area_code(chars, separator(chars, after), false)?)?,
        None => match literal(chars, i, "(") {
            Some(after) => {
                let closed = literal(chars, area_code(chars, after, true)?, ")")?;
                separator(chars, closed)
            }
            None => set_apart(chars, area_code(chars, i, true)?)?,
        },
    };
    local_number(chars, local_start)
}

/// The index after a separator at `i`, which must be there.
fn set_apart(chars: &[char], i: usize) -> Option<usize> {
    let after = separator(chars, i);
    (after > i).then_some(after)
}

/// An area code at `i` (with its leading 0 or without): `010`, `02x`, or
/// `0` and three digits from `03xx` on; the index after it.
fn area_code(chars: &[char], i: usize, with_zero: bool) -> Option<usize> {
    let start = if with_zero { (digit_at(chars, i) == Some(0)).then_some(i + 1)? } else { i };
    match digit_at(chars, start)? {
        1 => (digit_at(chars, start + 1) == Some(0)).then_some(start + 2),
        2 => digits(chars, start, 2),
        3..=9 => digits(chars, start, 3),
        _ => None,
    }
}

/// A local number of 8 or 7 digits not starting with 0 at `i`.
fn local_number(chars: &[char], i: usize) -> Option<usize> {
    if !matches!(digit_at(chars, i), Some(1..=9)) {
        return None;
    }
    [8, 7].into_iter().find_map(|length| digits(chars, i, length).filter(|end| ends(chars, *end)))
}

/// Characters an e-mail address's local part may hold.
fn is_local_char(c: char) -> bool {
    c.is_ascii_alphanumeric() || matches!(c, '.' | '_' | '%' | '+' | '-')
}

/// Every e-mail address: a local part, `@`, and a domain of at least two
/// labels whose last one is at least two letters.
fn emails(chars: &[char]) -> Vec<Finding> {
    let mut found = Vec::new();
    for (at, _) in chars.iter().enumerate().filter(|(_, c)| **c == '@') {
        let mut start = at;
        while start > 0 && is_local_char(chars[start - 1]) {
            start -= 1;
        }
        let mut end = at + 1;
        while end < chars.len() && (chars[end].is_ascii_alphanumeric() || matches!(chars[end], '.' | '-')) {
            end += 1;
        }
        let domain: String = chars[at + 1..end].iter().collect();
        let domain = domain.trim_end_matches(['.', '-']);
        let labels: Vec<&str> = domain.split('.').collect();
        let top = labels.last().copied().unwrap_or_default();
        let plausible = start < at
            && labels.len() >= 2
            && labels.iter().all(|label| !label.is_empty())
            && top.len() >= 2
            && top.chars().all(|c| c.is_ascii_alphabetic());
        if plausible {
            found.push(Finding { kind: PersonalDataKind::EmailAddress, at: start + 1 });
        }
    }
    found
}

#[cfg(test)]
mod tests {
    use proptest::prelude::*;

    use super::PersonalDataKind::{EmailAddress, LandlineNumber, MobileNumber, ResidentIdNumber};
    use super::*;

    fn kinds(text: &str) -> Vec<PersonalDataKind> {
        find_personal_data(text).into_iter().map(|f| f.kind).collect()
    }

    /// A resident identity number with the right check character.
    fn with_check(first_17: &str) -> String {
        let bytes: [u8; 17] = first_17.as_bytes().try_into().unwrap();
        format!("{first_17}{}", char::from(resident_id_check_char(&bytes)))
    }

    #[test]
    fn positives_are_found_with_their_kind_and_place() {
        let id = with_check("41041119900101123");
        assert_eq!(id, "410411199001011237");
        let table: &[(&str, &[PersonalDataKind])] = &[
            ("身份证410411199001011237", &[ResidentIdNumber]),
            ("11010519491231002X", &[ResidentIdNumber]),
            ("id 11010519491231002x.", &[ResidentIdNumber]),
            ("身份证号 410411 19900101 1237", &[ResidentIdNumber]),
            ("身份证号410411-19900101-1237", &[ResidentIdNumber]),
            ("身份证４１０４１１１９９００１０１１２３７", &[ResidentIdNumber]),
            ("电话13912345678", &[MobileNumber]),
            ("电话：139 1234 5678", &[MobileNumber]),
            ("电话139-1234-5678", &[MobileNumber]),
            ("电话139-12345678", &[MobileNumber]),
            ("call +86 139 1234 5678 today", &[MobileNumber]),
            ("+8613912345678", &[MobileNumber]),
            ("(+86)13912345678", &[MobileNumber]),
            ("008613912345678", &[MobileNumber]),
            ("0086 139-1234-5678", &[MobileNumber]),
            ("8613912345678", &[MobileNumber]),
            ("手机１９９１２３４５６７８", &[MobileNumber]),
            ("座机0375-1234567", &[LandlineNumber]),
            ("座机0375 2345678", &[LandlineNumber]),
            ("座机010-12345678", &[LandlineNumber]),
            ("座机020 87654321", &[LandlineNumber]),
            ("座机(0375)2345678", &[LandlineNumber]),
            ("座机（0375）2345678", &[LandlineNumber]),
            ("座机+86 375 2345678", &[LandlineNumber]),
            ("座机0086-10-62345678", &[LandlineNumber]),
            ("写信到 zhang.san@example.com 了", &[EmailAddress]),
            ("a_b+tag@mail.qq.com。", &[EmailAddress]),
            ("ｚｓ＠ｅｘａｍｐｌｅ．ｃｎ", &[EmailAddress]),
            (
                "身份证410411199001011237 电话13912345678 邮箱 x@y.cn 座机0375-2345678",
                &[ResidentIdNumber, MobileNumber, EmailAddress, LandlineNumber],
            ),
        ];
        for (text, expected) in table {
            assert_eq!(kinds(text), *expected, "{text:?}");
        }
        let found = find_personal_data("身份证410411199001011237 电话13912345678");
        assert_eq!(
            found,
            [Finding { kind: ResidentIdNumber, at: 4 }, Finding { kind: MobileNumber, at: 25 }]
        );
    }

    #[test]
    fn near_misses_pass() {
        let table = [
            // Amounts, dates, times, unit codes, case ids.
            "共追回8642000元",
            "共追回8,642,000元，涉及282名工人",
            "2019年3月1日",
            "20190301",
            "2019-03-01 10:30",
            "09:30-17:30",
            "2019.03.01",
            "单位410411001001",
            "单位410411001001001",
            "案件410411001001-20190301-3",
            "案件410411001001001-20190301-12",
            "案件 demo-001001-20260301-7",
            // 18 digits: a wrong check digit, a birth date that is no date.
            "身份证410411199001011234",
            "410411199013011235",
            "123456789012345678",
            // 11 digits that are no mobile number, and too many or too few.
            "12345678901",
            "10012345678",
            "电话1391234567",
            "电话139123456789",
            // Local numbers without an area code; area codes without a number.
            "电话2345678",
            "区号0375",
            "03752345678",
            "01012345678",
            "0375-0123456",
            // Not e-mail: mentions, a bare @, no top-level domain.
            "@张三 请跟进",
            "a@b",
            "user@localhost",
            "x@y.c",
            "",
            "涉及3名工人，拖欠工资12万元，2019年12月31日前结清",
        ];
        for text in table {
            assert_eq!(kinds(text), [], "{text:?}");
        }
    }

    #[test]
    fn the_error_names_the_field_and_the_kinds_but_not_the_value() {
        let error = check_free_text("身份证410411199001011237 电话13912345678 再电话13812345678", "summary")
            .unwrap_err();
        let DomainError::Invalid { field, reason } = &error else { panic!("{error:?}") };
        assert_eq!(field, "summary");
        assert!(reason.text.contains("a resident identity number at character 4"), "{reason}");
        assert!(reason.text.contains("a mobile phone number at character 25"), "{reason}");
        assert_eq!(reason.text.matches("mobile").count(), 1, "each kind once: {reason}");
        for digits in ["410411", "1237", "139", "5678", "138"] {
            assert!(!reason.text.contains(digits), "the value is not echoed: {reason}");
        }
        check_free_text("界墙纠纷，已调解", "summary").unwrap();
    }

    #[test]
    fn resident_id_numbers_are_recognised_whole() {
        assert!(is_resident_id_number("11010519491231002X"));
        assert!(is_resident_id_number("410411199001011237"));
        assert!(!is_resident_id_number("410411199001011234"));
        assert!(!is_resident_id_number("4104111990010112370"));
        assert!(!is_resident_id_number("41041119900101123"));
    }

    /// Runs of digits that cannot be personal data: no run starts with 0 or
    /// 1 (no area code, no mobile number), none starts with 8 (no glued
    /// `86` prefix), none is 18 long (no identity number), and the runs are
    /// kept apart by characters that do not group digits.
    fn harmless_text() -> impl Strategy<Value = String> {
        let run = (1usize..=30)
            .prop_filter("no identity-number length", |n| *n != 18)
            .prop_flat_map(|n| {
                (
                    prop::sample::select(vec!['2', '3', '4', '5', '6', '7', '9']),
                    prop::collection::vec(prop::char::range('0', '9'), n - 1),
                )
            })
            .prop_map(|(first, rest)| std::iter::once(first).chain(rest).collect::<String>());
        let gap = prop::sample::select(vec!["元", "名", "年", "，", "号", "x", "天", "。", "/", ":"]);
        prop::collection::vec((run, gap), 0..12)
            .prop_map(|parts| parts.into_iter().map(|(run, gap)| format!("{run}{gap}")).collect())
    }

    proptest! {
        #[test]
        fn random_digits_without_a_pattern_pass(text in harmless_text()) {
            prop_assert_eq!(kinds(&text), vec![]);
        }

        #[test]
        fn random_18_digit_numbers_pass_unless_they_are_identity_numbers(digits in "[0-9]{18}") {
            let text = format!("编号{digits}号");
            let expected = if is_resident_id_number(&digits) { vec![ResidentIdNumber] } else { vec![] };
            prop_assert_eq!(kinds(&text), expected);
        }

        #[test]
        fn a_number_in_any_text_is_found(
            before in "[a-z一-龥，。 ]{0,20}",
            after in "[a-z一-龥，。 ]{0,20}",
            mobile in "1[3-9][0-9]{9}",
            birth in 0u32..36_500,
            area in "4[0-9]{5}",
            sequence in "[0-9]{3}",
        ) {
            let born = chrono::NaiveDate::from_ymd_opt(1920, 1, 1).unwrap() + chrono::Days::new(u64::from(birth));
            let id = with_check(&format!("{area}{}{sequence}", born.format("%Y%m%d")));
            prop_assert_eq!(kinds(&format!("{before}{mobile}{after}")), vec![MobileNumber]);
            prop_assert_eq!(kinds(&format!("{before}{id}{after}")), vec![ResidentIdNumber]);
        }
    }
}
