//! The knowledge client: [`KnowledgeSource`] and its HTTP adapter [`HttpKnowledgeSource`].
//!
//! Contract: [`KnowledgeSource::fetch_changes`] returns either `NotModified` or the **complete** current listing
//! (every page followed); the KB store diffs it against what it holds ([`crate::kb::store::diff_against`]) into upserts and deletions, so
//! nothing is rebuilt from scratch. The HTTP adapter sends `If-Modified-Since` with the last *applied* `Last-Modified`:
//! 304 = no change, 206 = one page of more (never "changed" by itself — the seed's mistake), 200 = last page.
//! The new `Last-Modified` only becomes the condition after the caller reports the listing applied
//! ([`KnowledgeSource::mark_applied`]), so a failed store update is retried on the next poll.

use std::collections::HashMap;
use std::sync::Arc;

use async_trait::async_trait;
use reqwest::StatusCode;
use serde::Deserialize;
use url::Url;

use super::html::{html_to_text, looks_like_html};
use crate::auth::token::describe_transport_error;
use crate::auth::{AuthError, TokenSource};
use crate::domain::{Article, ArticleId};

/// A listing longer than this many pages is refused (a server paging in circles).
const MAX_PAGES: u32 = 10_000;
/// The most bytes read of one listing page (32 MiB; a page of a few hundred articles is well under 1 MiB). The body is
/// read chunk by chunk and the read stops here, so a server (or a gateway in front of it) streaming an endless or huge
/// body cannot make the client buffer it; the page is refused with its size only, never its content.
pub const MAX_PAGE_BYTES: usize = 32 * 1024 * 1024;

/// What one poll found.
#[derive(Debug, Clone, PartialEq)]
pub enum KbChanges {
    /// 304: nothing changed since the last applied listing.
    NotModified,
    /// The complete listing (ids unique, later pages win).
    Full {
        articles: Vec<Article>,
        last_modified: Option<String>,
    },
}

/// Why a poll failed, shaped by what the sync loop does next.
#[derive(Debug, Clone, thiserror::Error, PartialEq)]
pub enum KbClientError {
    /// Credentials or scope: tell the user, keep polling slowly.
    #[error("knowledge API authorisation failed: {0}")]
    Auth(AuthError),
    /// 5xx, 408, 429, connection: try again at the next poll.
    #[error("knowledge API temporarily unavailable: {0}")]
    Transient(String),
    /// The server broke the paging/format contract.
    #[error("knowledge API answered unexpectedly: {0}")]
    Protocol(String),
}

/// A source of knowledge-base articles (the seed's endpoint; later CXone's real knowledge API).
#[async_trait]
pub trait KnowledgeSource: Send + Sync {
    async fn fetch_changes(&mut self) -> Result<KbChanges, KbClientError>;
    /// The last `Full` listing was stored: use its `Last-Modified` for the next conditional request.
    fn mark_applied(&mut self);
}

#[derive(Deserialize)]
struct Page {
    /// Required: a 200 without `items` (`{}`, `{"error":"maintenance"}` from a gateway) is not an empty KB.
    items: Option<Vec<RawArticle>>,
    next_page: Option<serde_json::Value>,
}

#[derive(Deserialize)]
struct RawArticle {
    id: serde_json::Value,
    #[serde(default)]
    title: String,
    #[serde(default, alias = "body")]
    content: String,
    #[serde(default)]
    url: Option<String>,
    #[serde(default, alias = "updatedAt")]
    updated_at: Option<String>,
}

impl RawArticle {
    fn into_article(self) -> Option<Article> {
        let id = match self.id {
            serde_json::Value::String(s) if !s.trim().is_empty() => s,
            serde_json::Value::Number(n) => n.to_string(),
            _ => return None,
        };
        let content = if looks_like_html(&self.content) {
            html_to_text(&self.content)
        } else {
            self.content
        };
        let title = if looks_like_html(&self.title) {
            html_to_text(&self.title)
        } else {
            self.title
        };
        Some(Article {
            id,
            title,
            content,
            url: self.url,
            updated_at: self.updated_at,
        })
    }
}

/// `GET {base}/api/v2/knowledge/articles[?page=N]` with a bearer token.
pub struct HttpKnowledgeSource {
    http: reqwest::Client,
    articles_url: Url,
    tokens: Arc<dyn TokenSource>,
    applied_last_modified: Option<String>,
    pending_last_modified: Option<String>,
}

impl HttpKnowledgeSource {
    /// `applied_last_modified` restores the condition persisted with the store (or `None` for a full listing).
    pub fn new(
        http: reqwest::Client,
        base_url: &Url,
        tokens: Arc<dyn TokenSource>,
        applied_last_modified: Option<String>,
    ) -> Result<Self, KbClientError> {
        let mut articles_url = base_url.clone();
        articles_url
            .path_segments_mut()
            .map_err(|_| KbClientError::Protocol("base_url cannot carry a path".into()))?
            .pop_if_empty()
            .extend(["api", "v2", "knowledge", "articles"]);
        Ok(Self {
            http,
            articles_url,
            tokens,
            applied_last_modified,
            pending_last_modified: None,
        })
    }

    /// The `Last-Modified` the next request is conditional on (persist it with the store).
    pub fn applied_last_modified(&self) -> Option<&str> {
        self.applied_last_modified.as_deref()
    }

    fn page_url(&self, page: Option<&serde_json::Value>) -> Result<Url, KbClientError> {
        next_page_url(&self.articles_url, page)
    }

    /// One GET with a bearer token; a 401 invalidates the token and retries once.
    async fn get(
        &self,
        url: Url,
        if_modified_since: Option<&str>,
    ) -> Result<reqwest::Response, KbClientError> {
        let mut refreshed = false;
        loop {
            let token = self.tokens.token().await.map_err(|e| match e {
                AuthError::Unreachable(reason) => KbClientError::Transient(reason),
                other => KbClientError::Auth(other),
            })?;
            let mut request = self
                .http
                .get(url.clone())
                .bearer_auth(&token.value)
                .header("Accept", "application/json");
            if let Some(since) = if_modified_since {
                request = request.header(reqwest::header::IF_MODIFIED_SINCE, since);
            }
            let response = request
                .send()
                .await
                .map_err(|e| KbClientError::Transient(describe_transport_error(&e)))?;
            if response.status() == StatusCode::UNAUTHORIZED && !refreshed {
                self.tokens.invalidate(&token);
                refreshed = true;
                continue;
            }
            return Ok(response);
        }
    }
}

/// One page of the listing, parsed: the usable articles (HTML converted, items without an id dropped) and `next_page`.
#[derive(Debug, Clone, PartialEq)]
pub struct ParsedPage {
    pub articles: Vec<Article>,
    pub next_page: Option<serde_json::Value>,
}

/// Parses one listing page body (`{"items":[…],"next_page":…}`); `page_number` only labels the error.
/// A page without an `items` array (or with `"items": null`) is refused: it is an error answer, not an empty listing.
pub fn parse_page(body: &[u8], page_number: u32) -> Result<ParsedPage, KbClientError> {
    let page: Page = serde_json::from_slice(body).map_err(|e| {
        KbClientError::Protocol(format!("page {page_number} is not the expected JSON: {e}"))
    })?;
    let items = page.items.ok_or_else(|| {
        KbClientError::Protocol(format!(
            "page {page_number} has no items array (an error answer, not a listing); nothing applied"
        ))
    })?;
    Ok(ParsedPage {
        articles: items
            .into_iter()
            .filter_map(RawArticle::into_article)
            .collect(),
        next_page: page.next_page,
    })
}

/// The URL of the page `next_page` names, relative to `articles_url` (`None` = the first page).
///
/// A link must stay on the listing's origin (scheme, host, port): the request carries the bearer token, so a page
/// naming another host or `http:` is refused instead of followed.
pub fn next_page_url(
    articles_url: &Url,
    page: Option<&serde_json::Value>,
) -> Result<Url, KbClientError> {
    let mut url = articles_url.clone();
    match page {
        None => {}
        Some(serde_json::Value::Number(n)) => {
            url.query_pairs_mut().append_pair("page", &n.to_string());
        }
        Some(serde_json::Value::String(s)) if s.contains('/') => {
            url = url
                .join(s)
                .map_err(|e| KbClientError::Protocol(format!("bad next_page: {e}")))?;
            if url.origin() != articles_url.origin() {
                return Err(KbClientError::Protocol(
                    "next_page leaves the knowledge API's origin".into(),
                ));
            }
        }
        Some(serde_json::Value::String(s)) => {
            url.query_pairs_mut().append_pair("page", s);
        }
        Some(_) => {
            return Err(KbClientError::Protocol(
                "next_page is neither a number nor a string".into(),
            ))
        }
    }
    Ok(url)
}

fn status_error(status: StatusCode) -> KbClientError {
    match status {
        StatusCode::UNAUTHORIZED => KbClientError::Auth(AuthError::Other(
            "the knowledge API refused a fresh token (401)".into(),
        )),
        StatusCode::FORBIDDEN => {
            KbClientError::Auth(AuthError::MissingScope("knowledge:read".into()))
        }
        s if s.is_server_error()
            || s == StatusCode::TOO_MANY_REQUESTS
            || s == StatusCode::REQUEST_TIMEOUT =>
        {
            KbClientError::Transient(format!("answered {s}"))
        }
        s => KbClientError::Protocol(format!("answered {s}")),
    }
}

#[async_trait]
impl KnowledgeSource for HttpKnowledgeSource {
    async fn fetch_changes(&mut self) -> Result<KbChanges, KbClientError> {
        let mut articles: Vec<Article> = Vec::new();
        let mut next: Option<serde_json::Value> = None;
        for page_number in 1..=MAX_PAGES {
            let condition = if page_number == 1 {
                self.applied_last_modified.clone()
            } else {
                None
            };
            let response = self
                .get(self.page_url(next.as_ref())?, condition.as_deref())
                .await?;
            let status = response.status();
            if status == StatusCode::NOT_MODIFIED && page_number == 1 {
                tracing::debug!("knowledge base not modified");
                return Ok(KbChanges::NotModified);
            }
            if status != StatusCode::OK && status != StatusCode::PARTIAL_CONTENT {
                return Err(status_error(status));
            }
            let last_modified = response
                .headers()
                .get(reqwest::header::LAST_MODIFIED)
                .and_then(|v| v.to_str().ok())
                .map(str::to_owned);
            let body = read_page_body(response, page_number).await?;
            let page = parse_page(&body, page_number)?;
            articles.extend(page.articles);
            if status == StatusCode::OK {
                tracing::debug!(
                    pages = page_number,
                    articles = articles.len(),
                    "knowledge listing complete"
                );
                self.pending_last_modified = last_modified.clone();
                return Ok(KbChanges::Full {
                    articles: dedupe(articles),
                    last_modified,
                });
            }
            next = Some(
                page.next_page
                    .ok_or_else(|| KbClientError::Protocol("206 without next_page".into()))?,
            );
        }
        Err(KbClientError::Protocol(format!(
            "more than {MAX_PAGES} pages"
        )))
    }

    fn mark_applied(&mut self) {
        if let Some(last_modified) = self.pending_last_modified.take() {
            self.applied_last_modified = Some(last_modified);
        }
    }
}

/// Reads a page body chunk by chunk, refusing it (by size only) once it passes [`MAX_PAGE_BYTES`].
async fn read_page_body(
    mut response: reqwest::Response,
    page_number: u32,
) -> Result<Vec<u8>, KbClientError> {
    let too_large = || {
        KbClientError::Protocol(format!(
            "knowledge page {page_number} is larger than {} MiB; refused",
            MAX_PAGE_BYTES / (1024 * 1024)
        ))
    };
    if response
        .content_length()
        .is_some_and(|declared| declared > MAX_PAGE_BYTES as u64)
    {
        return Err(too_large());
    }
    let mut body = Vec::new();
    while let Some(chunk) = response.chunk().await.map_err(|e| {
        KbClientError::Protocol(format!("page {page_number} is not the expected JSON: {e}"))
    })? {
        if body.len() + chunk.len() > MAX_PAGE_BYTES {
            return Err(too_large());
        }
        body.extend_from_slice(&chunk);
    }
    Ok(body)
}

/// Keeps one article per id (the last one listed), in first-seen order.
fn dedupe(articles: Vec<Article>) -> Vec<Article> {
    let mut position: HashMap<ArticleId, usize> = HashMap::new();
    let mut unique: Vec<Article> = Vec::with_capacity(articles.len());
    for article in articles {
        match position.get(&article.id) {
            Some(&i) => unique[i] = article,
            None => {
                position.insert(article.id.clone(), unique.len());
                unique.push(article);
            }
        }
    }
    unique
}

#[cfg(test)]
mod tests {
    use super::*;

    fn article(id: &str, content: &str) -> Article {
        Article {
            id: id.into(),
            title: "t".into(),
            content: content.into(),
            url: None,
            updated_at: None,
        }
    }

    #[test]
    fn diff_yields_changed_new_and_missing() {
        let stored: HashMap<ArticleId, u64> = [
            (
                "same".to_string(),
                crate::kb::store::content_hash(&article("same", "x")),
            ),
            (
                "changed".to_string(),
                crate::kb::store::content_hash(&article("changed", "old")),
            ),
            ("gone".to_string(), 1),
        ]
        .into();
        let listing = vec![
            article("same", "x"),
            article("changed", "new"),
            article("new", "n"),
        ];
        let diff = crate::kb::store::diff_against(listing, &stored);
        let upserted: Vec<&str> = diff.upserts.iter().map(|a| a.id.as_str()).collect();
        assert_eq!(upserted, ["changed", "new"]);
        assert_eq!(diff.deletions, ["gone"]);
    }

    #[test]
    fn html_bodies_become_text_and_duplicates_collapse() {
        let raw = RawArticle {
            id: serde_json::json!(7),
            title: "A &amp; B".into(),
            content: "<p>x</p><p>y</p>".into(),
            url: None,
            updated_at: None,
        };
        let converted = raw.into_article().unwrap();
        assert_eq!(
            (
                converted.id.as_str(),
                converted.title.as_str(),
                converted.content.as_str()
            ),
            ("7", "A & B", "x\n\ny")
        );
        let unique = dedupe(vec![
            article("a", "1"),
            article("b", "2"),
            article("a", "3"),
        ]);
        assert_eq!(unique, vec![article("a", "3"), article("b", "2")]);
    }

    #[test]
    fn listing_without_items_array_is_refused() {
        for body in [r#"{}"#, r#"{"error":"maintenance"}"#, r#"{"items":null}"#] {
            let error = parse_page(body.as_bytes(), 1).unwrap_err();
            assert!(
                matches!(&error, KbClientError::Protocol(reason) if reason.contains("no items array")),
                "{body}: {error}"
            );
        }
        let empty = parse_page(br#"{"items":[]}"#, 1).unwrap();
        assert!(
            empty.articles.is_empty(),
            "an explicit empty array is a listing"
        );
    }

    #[test]
    fn request_timeout_408_is_transient() {
        assert!(matches!(
            status_error(StatusCode::REQUEST_TIMEOUT),
            KbClientError::Transient(_)
        ));
        assert!(matches!(
            status_error(StatusCode::BAD_REQUEST),
            KbClientError::Protocol(_)
        ));
    }

    #[test]
    fn next_page_links_stay_on_the_listing_origin() {
        let base = Url::parse("https://kb.example/api/v2/knowledge/articles").unwrap();
        let link = |s: &str| next_page_url(&base, Some(&serde_json::json!(s)));
        assert_eq!(
            link("/api/v2/knowledge/articles?page=2").unwrap().as_str(),
            "https://kb.example/api/v2/knowledge/articles?page=2"
        );
        for hostile in [
            "https://evil.example/steal",
            "http://kb.example/x",
            "//evil.example/x",
        ] {
            assert!(
                matches!(link(hostile), Err(KbClientError::Protocol(_))),
                "{hostile}"
            );
        }
    }
}
