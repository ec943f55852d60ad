//! Every message the code asks for exists in both message files: the
//! literal keys of `tr!("…")`, `text("…")` and `headings([…])` (as
//! `heading-…`) in `crates/cli/src`, found by reading the source. A key
//! missing from a file would print the key itself to the person.

use std::collections::BTreeSet;
use std::path::Path;

fn keys_of(file: &str) -> BTreeSet<String> {
    let path = Path::new(env!("CARGO_MANIFEST_DIR")).join("locales").join(file);
    let source = std::fs::read_to_string(&path).expect("the message file");
    let resource = fluent_syntax::parser::parse(source.as_str())
        .unwrap_or_else(|(_, errors)| panic!("{file} does not parse: {errors:?}"));
    resource
        .body
        .iter()
        .filter_map(|entry| match entry {
            fluent_syntax::ast::Entry::Message(message) => Some(message.id.name.to_owned()),
            _ => None,
        })
        .collect()
}

/// The string literal starting at `text` (just after its opening quote).
fn literal(text: &str) -> Option<&str> {
    text.find('"').map(|end| &text[..end])
}

/// The keys `source` asks for by literal.
fn used_keys(source: &str) -> Vec<String> {
    let mut keys = Vec::new();
    for opener in ["tr!(\"", "text(\""] {
        for (at, _) in source.match_indices(opener) {
            // `text(` itself, not the end of `context(`.
            let before = source[..at].chars().next_back();
            if before.is_some_and(|c| c.is_alphanumeric() || c == '_') {
                continue;
            }
            if let Some(key) = literal(&source[at + opener.len()..]) {
                keys.push(key.to_owned());
            }
        }
    }
    for (at, _) in source.match_indices("headings([") {
        let rest = &source[at + "headings([".len()..];
        let list = &rest[..rest.find("])").expect("a closed headings list")];
        for (i, part) in list.split('"').enumerate() {
            if i % 2 == 1 {
                keys.push(format!("heading-{part}"));
            }
        }
    }
    keys
}

#[test]
fn every_key_the_code_uses_is_in_both_files() {
    let (en, zh) = (keys_of("en.ftl"), keys_of("zh-CN.ftl"));
    let dir = Path::new(env!("CARGO_MANIFEST_DIR")).join("src");
    let mut used = BTreeSet::new();
    for entry in std::fs::read_dir(&dir).expect("the source directory") {
        let path = entry.expect("an entry").path();
        // i18n.rs itself names keys only in its documentation and tests.
        if path.extension().is_some_and(|e| e == "rs") && !path.ends_with("i18n.rs") {
            let source = std::fs::read_to_string(&path).expect("a source file");
            used.extend(used_keys(&source).into_iter().map(|key| (key, path.clone())));
        }
    }
    // The scan finds what it should (a guard against a scan that finds nothing).
    assert!(used.len() > 200, "only {} keys found in {}", used.len(), dir.display());
    let mut missing = Vec::new();
    for (key, path) in &used {
        for (name, keys) in [("en.ftl", &en), ("zh-CN.ftl", &zh)] {
            if !keys.contains(key) {
                missing.push(format!("{key} (used in {}) is not in {name}", path.display()));
            }
        }
    }
    assert!(missing.is_empty(), "{}", missing.join("\n"));
}

#[test]
fn the_scan_finds_each_form() {
    let source = r#"tr!("a-b", count = n); crate::i18n::text("c"); headings(["d", "e-f"]); tr!("g");
        x.context("not a key")"#;
    let mut keys = used_keys(source);
    keys.sort();
    assert_eq!(keys, ["a-b", "c", "g", "heading-d", "heading-e-f"]);
}
