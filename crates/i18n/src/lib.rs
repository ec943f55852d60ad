//! What a person reads, in their language: the Fluent message files
//! (`locales/en.ftl`, `locales/zh-CN.ftl`, compiled in) that the command
//! line (`fengqiao`, which chooses one language per process) and the node's
//! web dashboard (which chooses one per request) both speak.
//!
//! [`Messages::of`] is a language's compiled bundle; [`Messages::text`] and
//! [`Messages::text_with`] format a message (values as Fluent variables,
//! English plurals by Fluent's plural rules); [`Messages::name`] shows a
//! wire enum's identifier as text; [`Messages::text_if_known`] reads a
//! node's refusal (a code and values) as its `refusal-…` message. Wire
//! enums, JSON keys and CSV stay English identifiers. Both files hold the
//! same keys (tested here; `crates/cli/tests/i18n_keys.rs` checks every key
//! the code uses is in both).

use std::sync::OnceLock;

use fluent_bundle::concurrent::FluentBundle;
use fluent_bundle::{FluentArgs, FluentResource};

pub use fluent_bundle::FluentValue;

/// The English message file.
pub const EN: &str = include_str!("../locales/en.ftl");
/// The Chinese (simplified) message file.
pub const ZH: &str = include_str!("../locales/zh-CN.ftl");

/// A language fengqiao speaks.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
#[cfg_attr(feature = "clap", derive(clap::ValueEnum))]
pub enum Lang {
    /// 简体中文
    Zh,
    /// English
    En,
}

impl Lang {
    /// The BCP 47 tag (`zh-CN`, `en`), as HTML's `lang` attribute wants it.
    pub fn tag(self) -> &'static str {
        match self {
            Lang::Zh => "zh-CN",
            Lang::En => "en",
        }
    }

    /// `zh` or `en`, as a cookie or a query parameter carries it.
    pub fn code(self) -> &'static str {
        match self {
            Lang::Zh => "zh",
            Lang::En => "en",
        }
    }

    /// The language of a `zh`/`en` code (or a tag starting with one).
    pub fn from_code(code: &str) -> Option<Lang> {
        let code = code.trim().to_ascii_lowercase();
        if code.starts_with("zh") {
            Some(Lang::Zh)
        } else if code.starts_with("en") {
            Some(Lang::En)
        } else {
            None
        }
    }
}

/// The language from the locale variables, in POSIX precedence: Chinese
/// where the first set one starts with `zh`, English otherwise.
pub fn from_locale(lookup: impl Fn(&str) -> Option<String>) -> Lang {
    let locale = ["LC_ALL", "LC_MESSAGES", "LANG"].into_iter().filter_map(&lookup).find(|v| !v.is_empty());
    match locale {
        Some(value) if value.to_ascii_lowercase().starts_with("zh") => Lang::Zh,
        _ => Lang::En,
    }
}

/// One language's compiled messages.
pub struct Messages {
    bundle: FluentBundle<FluentResource>,
}

impl std::fmt::Debug for Messages {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Messages").field("locales", &self.bundle.locales).finish()
    }
}

static ZH_MESSAGES: OnceLock<Messages> = OnceLock::new();
static EN_MESSAGES: OnceLock<Messages> = OnceLock::new();

impl Messages {
    /// The messages of `lang`, compiled on first use.
    pub fn of(lang: Lang) -> &'static Messages {
        let cell = match lang {
            Lang::Zh => &ZH_MESSAGES,
            Lang::En => &EN_MESSAGES,
        };
        cell.get_or_init(|| Messages::compile(lang))
    }

    fn compile(lang: Lang) -> Messages {
        let (source, id) = match lang {
            Lang::Zh => (ZH, "zh-CN"),
            Lang::En => (EN, "en"),
        };
        let resource = FluentResource::try_new(source.to_owned()).expect("the message files parse (tested)");
        let mut bundle = FluentBundle::new_concurrent(vec![id.parse().expect("a language id")]);
        // No Unicode isolation marks around values: the output goes to
        // terminals, pipes, `grep` and HTML, not to a bidirectional layout.
        bundle.set_use_isolating(false);
        bundle.add_resource(resource).expect("no message twice (tested)");
        Messages { bundle }
    }

    /// Whether the file has the message `key`.
    pub fn has(&self, key: &str) -> bool {
        self.bundle.has_message(key)
    }

    /// The message `key`; the key itself when the file lacks it.
    pub fn text(&self, key: &str) -> String {
        self.format(key, None)
    }

    /// The message `key` with its variables (`{ $count }`, `{ $unit }`).
    pub fn text_with<'a>(&self, key: &str, values: Vec<(&'static str, FluentValue<'a>)>) -> String {
        let mut args = FluentArgs::with_capacity(values.len());
        for (name, value) in values {
            args.set(name, value);
        }
        self.format(key, Some(&args))
    }

    fn format(&self, key: &str, args: Option<&FluentArgs>) -> String {
        let Some(pattern) = self.bundle.get_message(key).and_then(|m| m.value()) else {
            return key.to_owned();
        };
        let mut errors = Vec::new();
        self.bundle.format_pattern(pattern, args, &mut errors).into_owned()
    }

    /// The message `key` with string values, or `None` when the file lacks
    /// it (a code from a newer node) or a value is missing. A value that
    /// names a wire enum arrives as its identifier and is shown through
    /// [`Messages::name`]: see [`NAMED_VALUES`].
    pub fn text_if_known(&self, key: &str, values: &[(String, String)]) -> Option<String> {
        let pattern = self.bundle.get_message(key)?.value()?;
        let mut args = FluentArgs::with_capacity(values.len());
        for (name, value) in values {
            let kind = name.rsplit('_').next().unwrap_or(name);
            let shown = if NAMED_VALUES.contains(&kind) { self.name(kind, value) } else { value.clone() };
            args.set(name.clone(), FluentValue::from(shown));
        }
        let mut errors = Vec::new();
        let text = self.bundle.format_pattern(pattern, Some(&args), &mut errors).into_owned();
        errors.is_empty().then_some(text)
    }

    /// A name of a wire enum (`wage_arrears`, `in_progress`, `township`) for
    /// people: `kind` is `category`, `outcome`, `status`, `tier`, `channel`,
    /// `event`, `satisfaction`, `supervision`, `component`, `role`, …; the
    /// identifier itself when no message names it.
    pub fn name(&self, kind: &str, identifier: &str) -> String {
        let key = format!("{kind}-{identifier}");
        if self.has(&key) { self.text(&key) } else { identifier.to_owned() }
    }
}

/// The values of a node's refusal that are identifiers of a kind with names
/// of its own (`status` `accepted` → `status-accepted`), by the last word of
/// the value's name (`parent_tier` is a tier).
pub const NAMED_VALUES: [&str; 7] = ["status", "action", "category", "outcome", "tier", "role", "event"];

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

/// A message of [`Messages`] in a language: `tr_in!(messages, "key")`, or
/// with variables `tr_in!(messages, "report-accepted", unit = id, count = n)`.
/// Keys are literals, so a test finds every one in the source and checks
/// both files have it.
#[macro_export]
macro_rules! tr_in {
    ($messages:expr, $key:literal) => {
        $messages.text($key)
    };
    ($messages:expr, $key:literal, $($name:ident = $value:expr),+ $(,)?) => {
        $messages.text_with($key, vec![$((stringify!($name), $crate::value($value))),+])
    };
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn both_files_parse_and_name_the_same_language_codes() {
        assert_eq!(Messages::of(Lang::Zh).text("category-wage_arrears"), "拖欠工资");
        assert_eq!(
            Messages::of(Lang::En).name("tier", "township"),
            Messages::of(Lang::En).text("tier-township")
        );
        assert_eq!(Messages::of(Lang::En).name("tier", "no-such"), "no-such");
        assert_eq!(Lang::from_code("zh-CN"), Some(Lang::Zh));
        assert_eq!(Lang::from_code("en"), Some(Lang::En));
        assert_eq!(Lang::from_code("fr"), None);
    }
}
