//! The petitioner's receipt (回执) as the CLI prints it: a box an officer
//! can print and hand over — the case number, the query code (shown this
//! once: the node keeps only its hash) and where to follow the case.

use fengqiao_proto::pb;
use serde::Serialize;

use crate::tr;

/// A receipt in `--json`.
#[derive(Debug, Serialize)]
pub struct ReceiptJson<'a> {
    pub case_id: &'a str,
    pub query_code: &'a str,
    #[serde(skip_serializing_if = "str::is_empty")]
    pub tracker_url: &'a str,
}

impl<'a> From<&'a pb::Receipt> for ReceiptJson<'a> {
    fn from(receipt: &'a pb::Receipt) -> Self {
        ReceiptJson {
            case_id: &receipt.case_id,
            query_code: &receipt.query_code,
            tracker_url: &receipt.tracker_url,
        }
    }
}

/// Display width of `text`: CJK and full-width characters take two
/// columns (box-drawing characters one).
fn width(text: &str) -> usize {
    let wide = |c: char| {
        matches!(c as u32, 0x1100..=0x115F | 0x2E80..=0xA4CF | 0xAC00..=0xD7A3 | 0xF900..=0xFAFF
            | 0xFE30..=0xFE4F | 0xFF00..=0xFF60 | 0xFFE0..=0xFFE6)
    };
    text.chars().map(|c| if wide(c) { 2 } else { 1 }).sum()
}

/// The receipt as a printable box.
pub fn receipt_box(receipt: &pb::Receipt) -> String {
    let mut lines = vec![
        tr!("receipt-title"),
        tr!("receipt-case", case = receipt.case_id.as_str()),
        tr!("receipt-code", code = receipt.query_code.as_str()),
    ];
    if !receipt.tracker_url.is_empty() {
        lines.push(tr!("receipt-url", url = receipt.tracker_url.as_str()));
    }
    lines.push(tr!("receipt-keep"));
    let inner = lines.iter().map(|l| width(l)).max().unwrap_or(0);
    let mut out = format!("┌{}┐\n", "─".repeat(inner + 2));
    for line in &lines {
        out.push_str(&format!("│ {line}{} │\n", " ".repeat(inner - width(line))));
    }
    out.push_str(&format!("└{}┘", "─".repeat(inner + 2)));
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_box_holds_the_number_the_code_and_the_address() {
        let receipt = pb::Receipt {
            case_id: "410411001-20240304-1".into(),
            query_code: "7KQ2-M9XH-4TPW".into(),
            tracker_url: "https://xf.example.gov.cn/track?case=410411001-20240304-1".into(),
        };
        let text = receipt_box(&receipt);
        assert!(text.contains("410411001-20240304-1"), "{text}");
        assert!(text.contains("7KQ2-M9XH-4TPW"), "{text}");
        assert!(text.contains("https://xf.example.gov.cn/track?case="), "{text}");
        let widths: Vec<usize> = text.lines().map(width).collect();
        assert!(widths.iter().all(|w| *w == widths[0]), "{text}");
        // Chinese lines are as wide as the others too.
        assert_eq!(width("回执：AB"), 8);
        let json = serde_json::to_string(&ReceiptJson::from(&receipt)).unwrap();
        assert!(json.contains("\"query_code\":\"7KQ2-M9XH-4TPW\""), "{json}");
    }
}
