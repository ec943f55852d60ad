//! The dashboard's pages, one file each. A page calls the gRPC services
//! in-process as its viewer (so authorization and figures are gRPC's),
//! reads the answers into the domain's read model, and fills a template of
//! `crates/node/templates/`. Every figure element carries
//! `data-figure="name"` and `data-value="raw value"`, for tests and for
//! whoever reads the page by program.

pub mod overview;

/// A percent for people: one decimal.
pub fn percent(value: f64) -> String {
    format!("{value:.1}%")
}

pub use fengqiao_core::read::yuan;

/// JSON for a `<script type="application/json">` block: `<`, `>` and `&`
/// escaped, so no text in it can end the element.
pub fn json_for_html(value: &serde_json::Value) -> String {
    value.to_string().replace('<', "\\u003c").replace('>', "\\u003e").replace('&', "\\u0026")
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn amounts_and_json_for_people() {
        assert_eq!(yuan(864_200_000), "8,642,000.00");
        assert_eq!(yuan(-5), "-0.05");
        assert_eq!(percent(98.04), "98.0%");
        let json = json_for_html(&serde_json::json!({"name": "</script><b>&"}));
        assert!(!json.contains('<') && !json.contains('>') && !json.contains('&'), "{json}");
    }
}
