//! One table helper for every command, and labels padded by columns.
//!
//! Tables fit the terminal: cells wrap so that a table is at most as wide as
//! the `COLUMNS` variable says or, without it, as the terminal standard
//! output is. Output to a pipe or a file without `COLUMNS` is not wrapped
//! (one row a line, for `grep` and `less -S`). `--wide` (a flag of every
//! command) turns fitting off everywhere: every cell on one line, however
//! wide.

use std::sync::atomic::{AtomicBool, Ordering};

use comfy_table::{ContentArrangement, Table};

static WIDE: AtomicBool = AtomicBool::new(false);

/// `--wide`: tables no longer fit the width.
pub fn set_wide(wide: bool) {
    WIDE.store(wide, Ordering::Relaxed);
}

/// An empty table with `header`, fitted to [`width`] unless `--wide`.
pub fn new<T: Into<comfy_table::Cell>>(header: impl IntoIterator<Item = T>) -> Table {
    let mut table = plain();
    table.set_header(header);
    table
}

/// An empty table without a header, fitted to [`width`] unless `--wide`.
pub fn plain() -> Table {
    let mut table = Table::new();
    table.load_preset(comfy_table::presets::UTF8_FULL_CONDENSED);
    match width().filter(|_| !WIDE.load(Ordering::Relaxed)) {
        Some(width) => table.set_content_arrangement(ContentArrangement::Dynamic).set_width(width),
        None => table.set_content_arrangement(ContentArrangement::Disabled),
    };
    table
}

/// The width tables fit: `COLUMNS`, else the terminal's; `None` (no
/// fitting) for a pipe or a file.
pub fn width() -> Option<u16> {
    columns_variable(std::env::var("COLUMNS").ok().as_deref()).or_else(terminal_width)
}

/// `COLUMNS` when it is a usable width.
fn columns_variable(value: Option<&str>) -> Option<u16> {
    value.and_then(|v| v.trim().parse::<u16>().ok()).filter(|&w| w >= 20)
}

/// The width of the terminal standard output is, if it is one.
fn terminal_width() -> Option<u16> {
    use std::io::IsTerminal;
    if !std::io::stdout().is_terminal() {
        return None;
    }
    // comfy-table asks the terminal (through crossterm) when it is one.
    Table::new().width().filter(|&w| w >= 20)
}

/// How many terminal columns `text` takes: two for a CJK character or a
/// full-width form, one for anything else.
pub fn display_width(text: &str) -> usize {
    text.chars()
        .map(|c| match u32::from(c) {
            0x1100..=0x115F
            | 0x2E80..=0x303E
            | 0x3041..=0x33FF
            | 0x3400..=0x4DBF
            | 0x4E00..=0x9FFF
            | 0xA000..=0xA4CF
            | 0xAC00..=0xD7A3
            | 0xF900..=0xFAFF
            | 0xFE30..=0xFE4F
            | 0xFF00..=0xFF60
            | 0xFFE0..=0xFFE6 => 2,
            _ => 1,
        })
        .sum()
}

/// `text` followed by spaces up to `columns` terminal columns (a label
/// before its value, aligned whatever its script).
pub fn pad(text: &str, columns: usize) -> String {
    let spaces = columns.saturating_sub(display_width(text));
    format!("{text}{}", " ".repeat(spaces))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn labels_pad_by_columns_not_characters() {
        assert_eq!(pad("received", 12), "received    ");
        assert_eq!(pad("已报", 12), "已报        ");
        assert_eq!(display_width("完成率（%）"), 11);
        assert_eq!(pad("a label longer than the column", 4), "a label longer than the column");
    }

    #[test]
    fn columns_must_be_a_width() {
        assert_eq!(columns_variable(Some("132")), Some(132));
        assert_eq!(columns_variable(Some("abc")), None);
        assert_eq!(columns_variable(Some("3")), None);
        assert_eq!(columns_variable(None), None);
    }

    #[test]
    fn a_fitted_table_is_no_wider_than_asked() {
        let mut table = new(["case", "details"]);
        table.set_content_arrangement(ContentArrangement::Dynamic).set_width(40);
        table.add_row(["410411-2026-000001", "a long text that would not fit on one line of forty columns"]);
        let widest = table.to_string().lines().map(|l| l.chars().count()).max().unwrap();
        assert!(widest <= 40, "{table}");
    }
}
