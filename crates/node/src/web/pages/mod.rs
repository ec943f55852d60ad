//! The dashboard's pages, one file each. A page calls the gRPC services
//! in-process as its viewer (so authorization and figures are gRPC's),
//! reads the answers into the domain's read model, and fills a template of
//! `crates/node/templates/`. Every figure element carries
//! `data-figure="name"` and `data-value="raw value"`, for tests and for
//! whoever reads the page by program.

pub mod accountability;
pub mod annual;
pub mod calendar;
pub mod cases;
pub mod departments;
pub mod download;
pub mod leaders;
pub mod missing;
pub mod overview;
pub mod units;
pub mod wages;
pub mod weekly;

use askama::Template;
use axum::http::{HeaderMap, HeaderValue, StatusCode, Uri, header};
use axum::response::{IntoResponse, Response};
use fengqiao_core::authz::{self, Rpc, Served, Target};

use super::auth::Viewer;
use super::{Chrome, PageError, WebState, lang_of, render};

/// Whether the viewer's role and place allow `rpc` on `target` (the rules
/// `authorize_caller` applies, asked without logging a denial).
pub fn allowed(state: &WebState, viewer: &Viewer, rpc: Rpc, target: Target<'_>) -> bool {
    let view = state.node().view();
    let served = Served { tree: &view.tree, child_nodes: &view.child_nodes };
    authz::authorize(&viewer.identity, rpc, target, &served).is_ok()
}

/// How every page answers: the chrome for this viewer and request (with
/// the unit in view, if any), then the page `build` makes, or the refusal
/// page in the viewer's language; a `?lang=` switch is remembered.
pub async fn answer<T, F>(
    state: &WebState,
    viewer: &Viewer,
    lang: Option<&str>,
    (headers, uri): (&HeaderMap, &Uri),
    unit: Option<&str>,
    build: impl FnOnce(Chrome) -> F,
) -> Response
where
    T: Template,
    F: Future<Output = Result<T, tonic::Status>>,
{
    let chosen = lang_of(lang, headers);
    let path = uri.path_and_query().map_or("/", |p| p.as_str());
    let mut chrome = Chrome::new(chosen, path).for_viewer(&state.sessions, viewer);
    if let Some(unit) = unit {
        chrome = chrome.with_unit(
            unit,
            allowed(state, viewer, Rpc::ListCases, Target::Unit(unit)),
            !state.node().summary_fed(),
        );
    }
    let response = match build(chrome.clone()).await {
        Ok(page) => render(StatusCode::OK, &page),
        Err(error) if held_below(&error) => {
            let unit = unit.unwrap_or(state.node().config().home_unit.as_str());
            render(StatusCode::OK, &HeldBelowPage::new(state, chrome, unit))
        }
        Err(error) => PageError::refused(chosen, &error).into_response(),
    };
    with_lang_cookie(response, lang)
}

/// A page of reports or cases at a node above the summary boundary, which
/// holds neither: where they are held (the nodes below, by unit and name;
/// the dashboard knows no other node's address), and a link back to the
/// unit's figures, which are held here.
#[derive(Debug, Template)]
#[template(path = "held_below.html")]
pub struct HeldBelowPage {
    pub chrome: Chrome,
    pub unit_id: String,
    pub title: String,
    pub text: String,
}

impl HeldBelowPage {
    pub fn new(state: &WebState, chrome: Chrome, unit_id: &str) -> HeldBelowPage {
        let node = state.node();
        let m = chrome.messages;
        let holders = match node.delegated_to(unit_id) {
            Some(child) => vec![child],
            None => node.child_nodes(),
        };
        let tree = node.tree();
        let named: Vec<String> = holders
            .iter()
            .map(|id| {
                let name = tree.get(id).map_or_else(|| id.clone(), |u| u.name.clone());
                fengqiao_i18n::tr_in!(m, "web-held-below-node", name = name, unit = id.as_str())
            })
            .collect();
        let nodes = if named.is_empty() {
            m.text("web-held-below-no-node")
        } else {
            named.join(&m.text("list-separator"))
        };
        HeldBelowPage {
            unit_id: unit_id.to_owned(),
            title: m.text("web-held-below-title"),
            text: fengqiao_i18n::tr_in!(m, "web-held-below", nodes = nodes),
            chrome,
        }
    }
}

/// Whether `status` is the refusal of a node above the summary boundary
/// for what its nodes below hold.
pub fn held_below(status: &tonic::Status) -> bool {
    use tonic_types::StatusExt;
    status.get_error_details().error_info().is_some_and(|info| {
        info.domain == fengqiao_core::error::ERROR_DOMAIN && info.reason == "HELD_BELOW_SUMMARY_BOUNDARY"
    })
}

/// Before a page reads the reports or cases of `unit` (`what`, for the
/// refusal): at a node above the summary boundary, which answers such
/// reads with nothing rather than a refusal, the refusal naming the nodes
/// that hold them ([`answer`] shows it as a [`HeldBelowPage`]). A unit
/// this node does not serve passes, for the page's call to refuse it as
/// gRPC does.
pub fn detail_held_here(state: &WebState, unit: &str, what: &str) -> Result<(), tonic::Status> {
    let node = state.node();
    if !node.summary_fed() || node.served_unit(unit).is_err() {
        return Ok(());
    }
    Ok(node.reports_held_here(unit, what)?)
}

/// A labelled value of a page.
#[derive(Debug, Clone)]
pub struct Field {
    pub label: String,
    pub value: String,
}

impl Field {
    pub fn plain(label: String, value: String) -> Field {
        Field { label, value }
    }
}

/// An answer that did not read into the read model: logged, and an
/// internal error for the page.
pub fn unreadable(error: fengqiao_core::DomainError) -> tonic::Status {
    tracing::warn!(%error, "web: an answer did not read into the read model");
    tonic::Status::internal("internal error")
}

/// A page asked for with `?lang=`: the switch sticks (the `lang` cookie),
/// so later pages keep the language.
pub fn with_lang_cookie(mut response: Response, lang: Option<&str>) -> Response {
    if let Some(code) = lang.and_then(fengqiao_i18n::Lang::from_code) {
        let cookie = format!("lang={}; SameSite=Strict; Path=/; Max-Age=31536000", code.code());
        if let Ok(value) = HeaderValue::from_str(&cookie) {
            response.headers_mut().append(header::SET_COOKIE, value);
        }
    }
    response
}

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
