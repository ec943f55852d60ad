//! One table helper for every command, and counted nouns.
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

/// `1 report`, `2 reports`, `0 reports`: `plural` is the noun for any count
/// but one.
pub fn counted(n: impl Into<u64>, singular: &str, plural: &str) -> String {
    match n.into() {
        1 => format!("1 {singular}"),
        n => format!("{n} {plural}"),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn counted_nouns() {
        assert_eq!(counted(1u32, "report", "reports"), "1 report");
        assert_eq!(counted(0u32, "report", "reports"), "0 reports");
        assert_eq!(counted(2u64, "entry", "entries"), "2 entries");
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
