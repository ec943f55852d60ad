//! What a person reads, in their language: the message files of
//! [`fengqiao_i18n`] (shared with the node's web dashboard), chosen once per
//! process by `--lang zh|en` or else the locale (`LC_ALL`, `LC_MESSAGES`,
//! `LANG`: Chinese where it starts with `zh`, English otherwise). Labels,
//! headings ([`headings`]), sentences and the command's own error framing go
//! through [`tr!`](crate::tr) (values as Fluent variables, English plurals by
//! Fluent's plural rules); names of wire enums shown as text through
//! [`name`]. `--json`, CSV, JSON lines and the wire keep their English
//! identifiers. A node's refusals arrive as a code and values
//! (`google.rpc.ErrorInfo`) and read as the `refusal-…` message of the
//! code (`fengqiao_node::web::refusal_text`, called by
//! `connection::refusal_text`).
//! `crates/cli/tests/i18n_keys.rs` checks that every literal key the code
//! uses, and every refusal code the node's crates can send, is in both
//! files.

use std::sync::OnceLock;

use fengqiao_i18n::FluentValue;
pub use fengqiao_i18n::{Lang, Messages, from_locale, value};

static CHOSEN: OnceLock<Lang> = OnceLock::new();

/// Chooses the language once, at start: `--lang`, else the locale.
pub fn init(lang: Option<Lang>) {
    let lang = lang.unwrap_or_else(|| from_locale(|name| std::env::var(name).ok()));
    let _ = CHOSEN.set(lang);
}

/// The chosen language (English when `init` was not called).
pub fn lang() -> Lang {
    *CHOSEN.get_or_init(|| Lang::En)
}

fn messages() -> &'static Messages {
    Messages::of(lang())
}

/// The message `key` in the chosen language; the key itself when no file
/// has it.
pub fn text(key: &str) -> String {
    messages().text(key)
}

/// The message `key` with its variables (`{ $count }`, `{ $unit }`): what
/// [`tr!`](crate::tr) calls.
pub fn text_with<'a>(key: &str, values: Vec<(&'static str, FluentValue<'a>)>) -> String {
    messages().text_with(key, values)
}

/// A message in the chosen language: `tr!("key")`, or with variables
/// `tr!("report-accepted", unit = id, count = n)`. Keys are literals, so a
/// test finds every one in the source and checks both files have it.
#[macro_export]
macro_rules! tr {
    ($key:literal) => {
        $crate::i18n::text($key)
    };
    ($key:literal, $($name:ident = $value:expr),+ $(,)?) => {
        $crate::i18n::text_with($key, vec![$((stringify!($name), $crate::i18n::value($value))),+])
    };
}

/// A name of a wire enum for people (see [`Messages::name`]).
pub fn name(kind: &str, identifier: &str) -> String {
    messages().name(kind, identifier)
}

/// Table headings by key (`heading-…`).
pub fn headings<const N: usize>(keys: [&str; N]) -> [String; N] {
    keys.map(|key| text(&format!("heading-{key}")))
}

#[cfg(test)]
mod tests {
    use std::collections::BTreeSet;

    use fengqiao_core::{DisputeCategory, DisputeOutcome, Tier};

    use fengqiao_i18n::{EN, ZH};
    use fluent_bundle::FluentResource;

    use super::*;

    fn keys(source: &str) -> BTreeSet<String> {
        let resource = FluentResource::try_new(source.to_owned()).expect("parses");
        resource
            .entries()
            .filter_map(|entry| match entry {
                fluent_syntax::ast::Entry::Message(message) => Some(message.id.name.to_owned()),
                _ => None,
            })
            .collect()
    }

    #[test]
    fn both_files_have_the_same_keys() {
        let (en, zh) = (keys(EN), keys(ZH));
        assert!(!en.is_empty());
        assert_eq!(en.difference(&zh).collect::<Vec<_>>(), Vec::<&String>::new(), "missing from zh-CN.ftl");
        assert_eq!(zh.difference(&en).collect::<Vec<_>>(), Vec::<&String>::new(), "missing from en.ftl");
    }

    #[test]
    fn every_enum_name_has_a_message() {
        let en = keys(EN);
        let mut wanted: Vec<String> =
            DisputeCategory::ALL.iter().map(|c| format!("category-{}", c.as_str())).collect();
        wanted.extend(DisputeOutcome::ALL.iter().map(|o| format!("outcome-{}", o.as_str())));
        wanted.extend(Tier::ALL.map(|t| format!("tier-{}", t.as_str())));
        wanted.extend(
            [chrono::Weekday::Mon, chrono::Weekday::Sun]
                .map(|day| format!("weekday-{}", day.to_string().to_lowercase())),
        );
        // Wire enums shown as text: every value but unspecified, by the
        // lower-case rest of its wire name.
        fn wire<E: TryFrom<i32>>(kind: &str, prefix: &str, name: impl Fn(&E) -> &'static str) -> Vec<String> {
            (1..)
                .map_while(|n| E::try_from(n).ok())
                .map(|value| {
                    format!("{kind}-{}", name(&value).trim_start_matches(prefix).to_ascii_lowercase())
                })
                .collect()
        }
        use fengqiao_proto::pb;
        wanted.extend(wire("status", "CASE_STATUS_", pb::CaseStatus::as_str_name));
        wanted.extend(wire("channel", "CASE_CHANNEL_", pb::CaseChannel::as_str_name));
        wanted.extend(wire("satisfaction", "SATISFACTION_", pb::Satisfaction::as_str_name));
        wanted.extend(wire("supervision", "SUPERVISION_KIND_", pb::SupervisionKind::as_str_name));
        wanted.extend(wire("review", "REVIEW_DECISION_", pb::ReviewDecision::as_str_name));
        wanted.extend(wire("role", "ROLE_", pb::Role::as_str_name));
        wanted.extend(wire("weekly-state", "WEEKLY_STATE_", pb::WeeklyState::as_str_name));
        wanted.extend(wire("weekly-step", "WEEKLY_STEP_", pb::WeeklyStep::as_str_name));
        wanted.extend(wire("accountability", "ACCOUNTABILITY_KIND_", pb::AccountabilityKind::as_str_name));
        wanted.extend(
            fengqiao_core::assessment::Component::ALL.iter().map(|c| format!("component-{}", c.name())),
        );
        wanted.extend(["set-aside-report", "set-aside-case_event"].map(str::to_owned));
        assert!(wanted.len() > 50, "{wanted:?}");
        for key in wanted {
            assert!(en.contains(&key), "{key} has no message");
        }
    }

    #[test]
    fn chinese_where_the_locale_is_chinese() {
        let env = |pairs: &'static [(&str, &str)]| {
            move |name: &str| pairs.iter().find(|(k, _)| *k == name).map(|(_, v)| (*v).to_owned())
        };
        assert_eq!(from_locale(env(&[("LANG", "zh_CN.UTF-8")])), Lang::Zh);
        assert_eq!(from_locale(env(&[("LANG", "en_US.UTF-8")])), Lang::En);
        assert_eq!(from_locale(env(&[("LC_ALL", "zh_TW.UTF-8"), ("LANG", "en_US.UTF-8")])), Lang::Zh);
        assert_eq!(from_locale(env(&[("LC_ALL", ""), ("LANG", "C")])), Lang::En);
        assert_eq!(from_locale(env(&[])), Lang::En);
        assert_eq!(Messages::of(Lang::Zh).text("category-wage_arrears"), "拖欠工资");
    }
}
