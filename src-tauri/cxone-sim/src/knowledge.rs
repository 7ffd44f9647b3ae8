//! The knowledge base and `GET /api/v2/knowledge/articles?page=N`: paged (206 while
//! more pages remain, 200 on the last), conditional on `If-Modified-Since` (304).

use std::sync::Arc;
use std::time::{Duration, SystemTime, UNIX_EPOCH};

use axum::extract::{Query, State};
use axum::http::{header, HeaderMap, HeaderValue, StatusCode};
use axum::response::{IntoResponse, Response};
use axum::Json;
use serde::Deserialize;
use serde_json::json;

use crate::config::SimArticle;
use crate::state::SharedState;
use crate::token::{authorize, error_response};

/// Articles in insertion order plus a monotonic Last-Modified (Unix seconds).
pub(crate) struct KnowledgeBase {
    articles: Vec<SimArticle>,
    last_modified_secs: u64,
}

impl KnowledgeBase {
    pub(crate) fn new(articles: Vec<SimArticle>) -> Self {
        Self {
            articles,
            last_modified_secs: unix_secs(),
        }
    }

    /// Moves Last-Modified forward by at least one second, so a change within the
    /// same second is still visible to `If-Modified-Since` clients.
    fn bump(&mut self) {
        self.last_modified_secs = unix_secs().max(self.last_modified_secs + 1);
    }

    /// Inserts or replaces (by id, keeping its position) an article.
    pub(crate) fn upsert(&mut self, article: SimArticle) {
        match self.articles.iter_mut().find(|a| a.id == article.id) {
            Some(existing) => *existing = article,
            None => self.articles.push(article),
        }
        self.bump();
    }

    /// Removes an article; returns whether it existed (Last-Modified moves only then).
    pub(crate) fn delete(&mut self, id: &str) -> bool {
        let before = self.articles.len();
        self.articles.retain(|a| a.id != id);
        let removed = self.articles.len() != before;
        if removed {
            self.bump();
        }
        removed
    }

    pub(crate) fn last_modified_secs(&self) -> u64 {
        self.last_modified_secs
    }
}

fn unix_secs() -> u64 {
    SystemTime::now()
        .duration_since(UNIX_EPOCH)
        .map_or(0, |d| d.as_secs())
}

fn http_date(unix_secs: u64) -> String {
    httpdate::fmt_http_date(UNIX_EPOCH + Duration::from_secs(unix_secs))
}

/// `?page=N`, 1-based, default 1.
#[derive(Debug, Deserialize)]
pub(crate) struct PageQuery {
    page: Option<usize>,
}

/// True when the client's `If-Modified-Since` is at or after `last_modified_secs`.
fn not_modified_since(headers: &HeaderMap, last_modified_secs: u64) -> bool {
    headers
        .get(header::IF_MODIFIED_SINCE)
        .and_then(|value| value.to_str().ok())
        .and_then(|text| httpdate::parse_http_date(text).ok())
        .and_then(|since| since.duration_since(UNIX_EPOCH).ok())
        .is_some_and(|since| since.as_secs() >= last_modified_secs)
}

/// `GET /api/v2/knowledge/articles` (bearer with `knowledge:read`).
pub(crate) async fn list_articles(
    State(state): State<Arc<SharedState>>,
    headers: HeaderMap,
    Query(query): Query<PageQuery>,
) -> Response {
    state.stats().kb_requests += 1;
    if let Err(refusal) = authorize(&state, &headers, "knowledge:read") {
        return refusal.into_response();
    }
    if state.faults.take_kb_failure() {
        return error_response(StatusCode::INTERNAL_SERVER_ERROR, "server_error");
    }
    let kb = state.knowledge();
    let last_modified = HeaderValue::from_str(&http_date(kb.last_modified_secs))
        .unwrap_or_else(|_| HeaderValue::from_static("Thu, 01 Jan 1970 00:00:00 GMT"));
    if state.faults.take_kb_without_items() {
        // A gateway's "everything is fine" page: 200, a current Last-Modified, no listing.
        return (
            StatusCode::OK,
            [(header::LAST_MODIFIED, last_modified)],
            Json(json!({})),
        )
            .into_response();
    }
    if not_modified_since(&headers, kb.last_modified_secs) {
        return (
            StatusCode::NOT_MODIFIED,
            [(header::LAST_MODIFIED, last_modified)],
        )
            .into_response();
    }
    let page_size = state.config.kb_page_size.max(1);
    let total_items = kb.articles.len();
    let total_pages = total_items.div_ceil(page_size).max(1);
    let page = query.page.unwrap_or(1);
    if page == 0 || page > total_pages {
        return error_response(StatusCode::BAD_REQUEST, "invalid_page");
    }
    let items: Vec<&SimArticle> = kb
        .articles
        .iter()
        .skip((page - 1) * page_size)
        .take(page_size)
        .collect();
    let more = page < total_pages;
    let status = if more {
        StatusCode::PARTIAL_CONTENT
    } else {
        StatusCode::OK
    };
    let body = json!({
        "items": items,
        "page": page,
        "total_pages": total_pages,
        "total_items": total_items,
        "next_page": if more { Some(page + 1) } else { None },
    });
    (status, [(header::LAST_MODIFIED, last_modified)], Json(body)).into_response()
}

#[cfg(test)]
mod tests {
    use super::*;

    fn article(id: &str) -> SimArticle {
        SimArticle {
            id: id.into(),
            title: "t".into(),
            content: "c".into(),
            updated_at: None,
        }
    }

    #[test]
    fn every_change_moves_last_modified_forward() {
        let mut kb = KnowledgeBase::new(vec![article("a")]);
        let first = kb.last_modified_secs();
        kb.upsert(article("a"));
        let second = kb.last_modified_secs();
        kb.upsert(article("b"));
        assert!(second > first && kb.last_modified_secs() > second);
        let before_noop = kb.last_modified_secs();
        assert!(!kb.delete("missing"));
        assert_eq!(kb.last_modified_secs(), before_noop);
        assert!(kb.delete("a"));
        assert!(kb.last_modified_secs() > before_noop);
        assert_eq!(kb.articles, vec![article("b")]);
    }
}
