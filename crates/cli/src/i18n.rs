//! What a person reads, in their language: Fluent message files
//! (`crates/cli/locales/en.ftl`, `zh-CN.ftl`, compiled in), chosen by
//! `--lang zh|en` or else the locale (`LC_ALL`, `LC_MESSAGES`, `LANG`:
//! Chinese where it starts with `zh`, English otherwise). Labels, headings
//! ([`headings`]), sentences and the command's own error framing go through
//! [`tr!`](crate::tr) (values as Fluent variables, English plurals by
//! Fluent's plural rules); names of wire enums shown as text through
//! [`name`]. `--json`, CSV, JSON lines and the wire keep their English
//! identifiers. A node's refusals arrive as a code and values
//! (`google.rpc.ErrorInfo`) and read as the `refusal-…` message of the
//! code ([`text_if_known`], called by `connection::refusal_text`).
//! `crates/cli/tests/i18n_keys.rs` checks that every literal key the code
//! uses, and every refusal code the node's crates can send, is in both
//! files.

use std::sync::OnceLock;

use fluent_bundle::concurrent::FluentBundle;
use fluent_bundle::{FluentArgs, FluentResource, FluentValue};

const EN: &str = include_str!("../locales/en.ftl");
const ZH: &str = include_str!("../locales/zh-CN.ftl");

/// A language the CLI speaks.
#[derive(Debug, Clone, Copy, PartialEq, Eq, clap::ValueEnum)]
pub enum Lang {
    /// 简体中文
    Zh,
    /// English
    En,
}

static BUNDLE: OnceLock<FluentBundle<FluentResource>> = OnceLock::new();

/// The language from the locale variables, in POSIX precedence.
pub fn from_locale(lookup: impl Fn(&str) -> Option<String>) -> Lang {
    let locale = ["LC_ALL", "LC_MESSAGES", "LANG"].into_iter().filter_map(&lookup).find(|v| !v.is_empty());
    match locale {
        Some(value) if value.to_ascii_lowercase().starts_with("zh") => Lang::Zh,
        _ => Lang::En,
    }
}

fn bundle_for(lang: Lang) -> FluentBundle<FluentResource> {
    let (source, id) = match lang {
        Lang::Zh => (ZH, "zh-CN"),
        Lang::En => (EN, "en"),
    };
    let resource = FluentResource::try_new(source.to_owned()).expect("the message files parse (tested)");
    let mut bundle = FluentBundle::new_concurrent(vec![id.parse().expect("a language id")]);
    // No Unicode isolation marks around values: the output goes to
    // terminals, pipes and `grep`, not to a bidirectional layout.
    bundle.set_use_isolating(false);
    bundle.add_resource(resource).expect("no message twice (tested)");
    bundle
}

/// Chooses the language once, at start: `--lang`, else the locale.
pub fn init(lang: Option<Lang>) {
    let lang = lang.unwrap_or_else(|| from_locale(|name| std::env::var(name).ok()));
    let _ = BUNDLE.set(bundle_for(lang));
}

/// The message `key` in the chosen language (English when `init` was not
/// called); the key itself when no file has it.
pub fn text(key: &str) -> String {
    format(key, None)
}

/// The message `key` with its variables (`{ $count }`, `{ $unit }`): what
/// [`tr!`](crate::tr) calls.
pub fn text_with<'a>(key: &str, values: Vec<(&'static str, FluentValue<'a>)>) -> String {
    let mut args = FluentArgs::with_capacity(values.len());
    for (name, value) in values {
        args.set(name, value);
    }
    format(key, Some(&args))
}

fn format(key: &str, args: Option<&FluentArgs>) -> String {
    let bundle = BUNDLE.get_or_init(|| bundle_for(Lang::En));
    let Some(pattern) = bundle.get_message(key).and_then(|m| m.value()) else { return key.to_owned() };
    let mut errors = Vec::new();
    bundle.format_pattern(pattern, args, &mut errors).into_owned()
}

/// The message `key` with string values, or `None` when the chosen
/// language's file lacks it (a code from a newer node). A value that names
/// a wire enum arrives as its identifier and is shown through [`name`]: see
/// [`NAMED_VALUES`].
pub fn text_if_known(key: &str, values: &[(String, String)]) -> Option<String> {
    let bundle = BUNDLE.get_or_init(|| bundle_for(Lang::En));
    let pattern = bundle.get_message(key)?.value()?;
    let mut args = FluentArgs::with_capacity(values.len());
    for (name, value) in values {
        let kind = name.rsplit('_').next().unwrap_or(name);
        let shown = if NAMED_VALUES.contains(&kind) { self::name(kind, value) } else { value.clone() };
        args.set(name.clone(), FluentValue::from(shown));
    }
    let mut errors = Vec::new();
    let text = bundle.format_pattern(pattern, Some(&args), &mut errors).into_owned();
    errors.is_empty().then_some(text)
}

/// The values of a node's refusal that are identifiers of a kind with names
/// of its own (`status` `accepted` → `status-accepted`), by the last word of
/// the value's name (`parent_tier` is a tier).
pub const NAMED_VALUES: [&str; 7] = ["status", "action", "category", "outcome", "tier", "role", "event"];

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

/// A value for a message variable: numbers stay numbers (for plurals),
/// anything else is shown as it displays.
pub fn value<'a, T: IntoValue<'a>>(value: T) -> FluentValue<'a> {
    value.into_value()
}

/// What a message variable can hold.
pub trait IntoValue<'a> {
    fn into_value(self) -> FluentValue<'a>;
}

macro_rules! number_values {
    ($($ty:ty)+) => {$(
        impl<'a> IntoValue<'a> for $ty {
            fn into_value(self) -> FluentValue<'a> {
                FluentValue::from(self)
            }
        }
        impl<'a> IntoValue<'a> for &$ty {
            fn into_value(self) -> FluentValue<'a> {
                FluentValue::from(*self)
            }
        }
    )+};
}
number_values!(u8 u16 u32 u64 usize i8 i16 i32 i64 isize);

impl<'a> IntoValue<'a> for String {
    fn into_value(self) -> FluentValue<'a> {
        FluentValue::from(self)
    }
}

impl<'a> IntoValue<'a> for &'a String {
    fn into_value(self) -> FluentValue<'a> {
        FluentValue::from(self.as_str())
    }
}

impl<'a> IntoValue<'a> for &'a str {
    fn into_value(self) -> FluentValue<'a> {
        FluentValue::from(self)
    }
}

impl<'a> IntoValue<'a> for &&'a str {
    fn into_value(self) -> FluentValue<'a> {
        FluentValue::from(*self)
    }
}

impl<'a> IntoValue<'a> for chrono::NaiveDate {
    fn into_value(self) -> FluentValue<'a> {
        FluentValue::from(self.to_string())
    }
}

/// A name of a wire enum (`wage_arrears`, `in_progress`, `township`) for
/// people: `kind` is `category`, `outcome`, `status`, `tier`, `channel`,
/// `event`, `satisfaction`, `supervision`, `component`, `role`, …; the
/// identifier itself when no message names it.
pub fn name(kind: &str, identifier: &str) -> String {
    let key = format!("{kind}-{identifier}");
    let shown = text(&key);
    if shown == key { identifier.to_owned() } else { shown }
}

/// Table headings by key (`heading-…`).
pub fn headings<const N: usize>(keys: [&str; N]) -> [String; N] {
    keys.map(|key| text(&format!("heading-{key}")))
}

#[cfg(test)]
mod tests {
    use std::collections::BTreeSet;

    use fengqiao_core::{DisputeCategory, DisputeOutcome, Tier};

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
        wanted.extend(
            [Tier::District, Tier::Township, Tier::Community, Tier::Group]
                .map(|t| format!("tier-{}", t.as_str())),
        );
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
        let zh = bundle_for(Lang::Zh);
        let value = zh.get_message("category-wage_arrears").and_then(|m| m.value()).unwrap();
        assert_eq!(zh.format_pattern(value, None, &mut Vec::new()), "拖欠工资");
    }
}
