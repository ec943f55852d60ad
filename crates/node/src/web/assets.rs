//! The dashboard's static files, embedded in the binary: the vendored
//! htmx and Apache ECharts (`static/vendor/`, pinned, see its README) and
//! our own stylesheet and script. Each is served under a name carrying the
//! first 16 hex digits of its SHA-256 (`/static/echarts.min.3f2a….js`) with
//! `Cache-Control: immutable`, so a browser fetches a file once per
//! release; the compression layer of [`super::router`] gzips or brotlis it
//! when asked.

use std::sync::OnceLock;

use axum::extract::Path;
use axum::http::{HeaderValue, StatusCode, header};
use axum::response::{IntoResponse, Response};
use sha2::{Digest, Sha256};

/// One embedded file.
#[derive(Debug)]
pub struct Asset {
    /// The name in the source tree (`echarts.min.js`).
    pub name: &'static str,
    /// The name it is served under (`echarts.min.<hash>.js`).
    pub hashed: String,
    pub bytes: &'static [u8],
    pub content_type: &'static str,
}

impl Asset {
    /// The URL path it is served at.
    pub fn url(&self) -> String {
        format!("/static/{}", self.hashed)
    }
}

const FILES: [(&str, &[u8], &str); 7] = [
    ("style.css", include_bytes!("../../static/style.css"), "text/css; charset=utf-8"),
    ("overview.js", include_bytes!("../../static/overview.js"), "text/javascript; charset=utf-8"),
    ("calendar.js", include_bytes!("../../static/calendar.js"), "text/javascript; charset=utf-8"),
    ("wages.js", include_bytes!("../../static/wages.js"), "text/javascript; charset=utf-8"),
    ("annual.js", include_bytes!("../../static/annual.js"), "text/javascript; charset=utf-8"),
    ("htmx.min.js", include_bytes!("../../static/vendor/htmx.min.js"), "text/javascript; charset=utf-8"),
    (
        "echarts.min.js",
        include_bytes!("../../static/vendor/echarts.min.js"),
        "text/javascript; charset=utf-8",
    ),
];

/// Every embedded file, hashed once.
pub fn all() -> &'static [Asset] {
    static ASSETS: OnceLock<Vec<Asset>> = OnceLock::new();
    ASSETS.get_or_init(|| {
        FILES
            .iter()
            .map(|(name, bytes, content_type)| {
                let digest = hex::encode(&Sha256::digest(bytes)[..8]);
                let hashed = match name.rsplit_once('.') {
                    Some((stem, extension)) => format!("{stem}.{digest}.{extension}"),
                    None => format!("{name}.{digest}"),
                };
                Asset { name, hashed, bytes, content_type }
            })
            .collect()
    })
}

/// The URL of the embedded file `name` (`style.css`).
pub fn url(name: &str) -> String {
    all().iter().find(|asset| asset.name == name).map(Asset::url).unwrap_or_default()
}

/// `GET /static/{hashed}`: the file, cacheable for a year; 404 for a name
/// no file has (an old hash included: a page always names the current one).
pub async fn serve(Path(hashed): Path<String>) -> Response {
    let Some(asset) = all().iter().find(|asset| asset.hashed == hashed) else {
        return (StatusCode::NOT_FOUND, "not found\n").into_response();
    };
    (
        [
            (header::CONTENT_TYPE, HeaderValue::from_static(asset.content_type)),
            (header::CACHE_CONTROL, HeaderValue::from_static("public, max-age=31536000, immutable")),
        ],
        asset.bytes,
    )
        .into_response()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn names_carry_the_content_hash() {
        let echarts = all().iter().find(|a| a.name == "echarts.min.js").expect("echarts is embedded");
        assert!(echarts.hashed.starts_with("echarts.min.") && echarts.hashed.ends_with(".js"));
        assert_eq!(echarts.hashed.len(), "echarts.min..js".len() + 16);
        assert_eq!(url("style.css"), all()[0].url());
    }
}
