//! Every message the code asks for exists in both message files: the
//! literal keys of `tr!("…")`, `tr_in!(messages, "…")`, `text("…")` and
//! `headings([…])` (as `heading-…`) in `crates/cli/src` and its
//! subdirectories, and in the web dashboard's code and templates
//! (`crates/node/src/web`, `crates/node/templates`), found by reading the
//! source. A key missing from a file would print the key itself
//! to the person.

use std::collections::BTreeSet;
use std::path::Path;

fn keys_of(file: &str) -> BTreeSet<String> {
    let path = Path::new(env!("CARGO_MANIFEST_DIR")).join("../i18n/locales").join(file);
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
    for (at, _) in source.match_indices("tr_in!(") {
        let rest = &source[at + "tr_in!(".len()..];
        if let Some(open) = rest.find('"')
            && let Some(key) = literal(&rest[open + 1..])
        {
            keys.push(key.to_owned());
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
    let node = Path::new(env!("CARGO_MANIFEST_DIR")).join("../node");
    let mut used = BTreeSet::new();
    // Every source file, in subdirectories too (`commands/`, `render/`, …),
    // and the web dashboard's code and templates.
    let mut dirs = vec![dir.clone(), node.join("src/web"), node.join("templates")];
    while let Some(dir) = dirs.pop() {
        for entry in std::fs::read_dir(&dir).expect("a source directory") {
            let path = entry.expect("an entry").path();
            if path.is_dir() {
                dirs.push(path);
                continue;
            }
            // i18n.rs itself names keys only in its documentation and tests.
            if path.extension().is_some_and(|e| e == "rs" || e == "html") && !path.ends_with("i18n.rs") {
                let source = std::fs::read_to_string(&path).expect("a source file");
                used.extend(used_keys(&source).into_iter().map(|key| (key, path.clone())));
            }
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
        x.context("not a key"); tr_in!(m, "h", n = 1); {{ chrome.text("i") }}"#;
    let mut keys = used_keys(source);
    keys.sort();
    assert_eq!(keys, ["a-b", "c", "g", "h", "heading-d", "heading-e-f", "i"]);
}

/// The refusal codes a node can send, with the English sentence of each
/// (`{name}` for a value): every `why!(CODE, "sentence", …)` in the node's
/// crates outside their tests, and the codes `Why::new` names.
fn refusal_codes() -> Vec<(String, Option<String>, std::path::PathBuf)> {
    let crates = Path::new(env!("CARGO_MANIFEST_DIR")).join("..");
    let mut found = Vec::new();
    for krate in ["core", "proto", "store", "node"] {
        let mut dirs = vec![crates.join(krate).join("src")];
        while let Some(dir) = dirs.pop() {
            for entry in std::fs::read_dir(&dir).expect("a source directory") {
                let path = entry.expect("an entry").path();
                if path.is_dir() {
                    dirs.push(path);
                    continue;
                }
                if path.extension().is_none_or(|e| e != "rs") || path.ends_with("tests.rs") {
                    continue;
                }
                let source = std::fs::read_to_string(&path).expect("a source file");
                let source = source.split("#[cfg(test)]").next().unwrap_or_default();
                let code: String = source
                    .lines()
                    .filter(|line| !line.trim_start().starts_with("//"))
                    .collect::<Vec<_>>()
                    .join("\n");
                for (at, _) in code.match_indices("why!(") {
                    let rest = code[at + "why!(".len()..].trim_start();
                    let name: String = rest
                        .chars()
                        .take_while(|c| c.is_ascii_uppercase() || c.is_ascii_digit() || *c == '_')
                        .collect();
                    let after = rest[name.len()..].trim_start().trim_start_matches(',').trim_start();
                    let sentence = after.strip_prefix('"').map(rust_literal);
                    found.push((name, sentence, path.clone()));
                }
                for (at, _) in code.match_indices("Why::new(\"") {
                    let name = literal(&code[at + "Why::new(\"".len()..]).expect("a code").to_owned();
                    found.push((name, None, path.clone()));
                }
            }
        }
    }
    found
}

/// The text of a Rust string literal starting at `text` (just after its
/// opening quote): `\"` unescaped, a `\` line continuation joined.
fn rust_literal(text: &str) -> String {
    let mut out = String::new();
    let mut chars = text.chars().peekable();
    while let Some(c) = chars.next() {
        match c {
            '"' => break,
            '\\' => match chars.next() {
                Some('\n') => {
                    while chars.peek().is_some_and(|c| c.is_whitespace()) {
                        chars.next();
                    }
                }
                Some(other) => out.push(other),
                None => break,
            },
            c => out.push(c),
        }
    }
    out
}

/// Every message's text as the Fluent file holds it, by key (continuation
/// lines kept, with their indentation).
fn message_texts(file: &str) -> std::collections::HashMap<String, String> {
    let path = Path::new(env!("CARGO_MANIFEST_DIR")).join("../i18n/locales").join(file);
    let source = std::fs::read_to_string(&path).expect("the message file");
    let mut texts = std::collections::HashMap::new();
    let mut current: Option<(String, String)> = None;
    for line in source.lines() {
        if line.starts_with(' ')
            && let Some((_, text)) = current.as_mut()
        {
            text.push('\n');
            text.push_str(line);
            continue;
        }
        texts.extend(current.take());
        if let Some((key, text)) = line.split_once(" = ")
            && !key.starts_with('#')
        {
            current = Some((key.to_owned(), text.to_owned()));
        }
    }
    texts.extend(current);
    texts
}

/// The `$variables` a message uses.
fn variables(text: &str) -> BTreeSet<String> {
    text.split("{ $")
        .skip(1)
        .map(|rest| rest.chars().take_while(|c| c.is_ascii_alphanumeric() || *c == '_').collect())
        .collect()
}

#[test]
fn every_refusal_code_a_node_sends_reads_in_both_languages() {
    let (en, zh) = (keys_of("en.ftl"), keys_of("zh-CN.ftl"));
    let codes = refusal_codes();
    assert!(codes.len() > 150, "only {} refusal codes found", codes.len());
    let mut wrong = Vec::new();
    let (en_texts, zh_texts) = (message_texts("en.ftl"), message_texts("zh-CN.ftl"));
    let mut sentences: std::collections::BTreeMap<String, String> = Default::default();
    for (code, sentence, path) in &codes {
        let shown = path.display();
        if code.is_empty() || code.len() > 63 {
            wrong.push(format!("{shown}: a code must be 1 to 63 of A-Z, 0-9 and _ (ErrorInfo.reason)"));
            continue;
        }
        let key = format!("refusal-{}", code.to_ascii_lowercase().replace('_', "-"));
        for (name, keys) in [("en.ftl", &en), ("zh-CN.ftl", &zh)] {
            if !keys.contains(&key) {
                wrong.push(format!("{code} ({shown}) has no {key} in {name}"));
            }
        }
        let Some(sentence) = sentence else { continue };
        if let Some(other) = sentences.insert(code.clone(), sentence.clone())
            && other != *sentence
        {
            wrong.push(format!("{code} ({shown}) has two sentences: {other:?} and {sentence:?}"));
        }
        // The English file says what the node says, value for value.
        let english = sentence.replace("{{", "{\"{\"}").replace("}}", "{\"}\"}");
        let mut expected = String::new();
        let mut rest = english.as_str();
        while let Some(open) = rest.find('{') {
            expected.push_str(&rest[..open]);
            let close = rest[open..].find('}').expect("a closed brace") + open;
            let inner = &rest[open + 1..close];
            if inner.starts_with('"') {
                expected.push_str(&rest[open..=close + inner.len() - inner.trim_end_matches('}').len()]);
            } else {
                expected.push_str(&format!("{{ ${inner} }}"));
            }
            rest = &rest[close + 1..];
        }
        expected.push_str(rest);
        if let Some(text) = en_texts.get(&key)
            && *text != expected
        {
            wrong.push(format!("{key} in en.ftl reads {text:?}; the node says {expected:?}"));
        }
        // The Chinese names the same values (English words the node puts
        // into its sentence are named again by identifier: see i18n.rs).
        if let (Some(en_text), Some(zh_text)) = (en_texts.get(&key), zh_texts.get(&key)) {
            let english_only: BTreeSet<String> = ["verb", "who", "reach", "it"].map(String::from).into();
            let by_id: BTreeSet<String> = ["action", "role", "scope", "relation"].map(String::from).into();
            for name in variables(en_text).difference(&english_only) {
                if !variables(zh_text).contains(name) {
                    wrong.push(format!("{key} in zh-CN.ftl does not show ${name}"));
                }
            }
            for name in variables(zh_text) {
                if !variables(en_text).contains(&name) && !by_id.contains(&name) {
                    wrong.push(format!("{key} in zh-CN.ftl uses ${name}, which the node does not send"));
                }
            }
        }
    }
    assert!(wrong.is_empty(), "{}", wrong.join("\n"));
}
