//! [`HttpCardSink`]: `POST {base}/api/v2/interactions/{id}/assist` with the seed's payload, a bearer token and an
//! `Idempotency-Key`. A 401 invalidates the token and retries once with a fresh one; the response is mapped to a
//! [`PublishError`] (the retry decision belongs to [`super::RetryPolicy`]).

use std::sync::Arc;
use std::time::SystemTime;

use async_trait::async_trait;
use reqwest::StatusCode;
use serde_json::json;
use url::Url;

use super::retry::parse_retry_after;
use super::{CardSink, PublishError};
use crate::auth::token::describe_transport_error;
use crate::auth::{AuthError, TokenSource};
use crate::domain::CardContent;

/// Bodies of rejections are cut to this many characters in errors and logs.
const MAX_BODY_CHARS: usize = 300;

/// The Assist API over HTTP.
pub struct HttpCardSink {
    http: reqwest::Client,
    base_url: Url,
    tokens: Arc<dyn TokenSource>,
}

impl HttpCardSink {
    pub fn new(http: reqwest::Client, base_url: Url, tokens: Arc<dyn TokenSource>) -> Self {
        Self {
            http,
            base_url,
            tokens,
        }
    }

    fn endpoint(&self, interaction_id: &str) -> Result<Url, PublishError> {
        let mut url = self.base_url.clone();
        url.path_segments_mut()
            .map_err(|_| PublishError::Rejected {
                status: 0,
                body: "base_url cannot have a path".into(),
            })?
            .pop_if_empty()
            .extend(["api", "v2", "interactions", interaction_id, "assist"]);
        Ok(url)
    }
}

/// The seed's payload: one card per message list.
pub fn card_payload(card: &CardContent) -> serde_json::Value {
    json!({ "messages": [ { "type": "card", "content": { "title": card.title, "body": card.body, "score": card.score } } ] })
}

#[async_trait]
impl CardSink for HttpCardSink {
    async fn deliver(
        &self,
        interaction_id: &str,
        card: &CardContent,
        idempotency_key: &str,
    ) -> Result<(), PublishError> {
        let url = self.endpoint(interaction_id)?;
        let payload = card_payload(card);
        let mut refreshed = false;
        loop {
            let token = self.tokens.token().await.map_err(token_error)?;
            tracing::debug!(interaction_id, idempotency_key, "posting an assist card");
            let response = self
                .http
                .post(url.clone())
                .bearer_auth(&token.value)
                .header("Idempotency-Key", idempotency_key)
                .json(&payload)
                .send()
                .await
                .map_err(|e| PublishError::Transient(describe_transport_error(&e)))?;
            let status = response.status();
            if status == StatusCode::UNAUTHORIZED && !refreshed {
                tracing::info!(
                    interaction_id,
                    "assist endpoint answered 401; refreshing the token once"
                );
                self.tokens.invalidate(&token);
                refreshed = true;
                continue;
            }
            return map_response(response).await;
        }
    }
}

fn token_error(error: AuthError) -> PublishError {
    match error {
        AuthError::Unreachable(reason) => PublishError::Transient(reason),
        other => PublishError::Auth(other),
    }
}

async fn map_response(response: reqwest::Response) -> Result<(), PublishError> {
    let status = response.status();
    if status.is_success() {
        return Ok(());
    }
    let retry_after = response
        .headers()
        .get(reqwest::header::RETRY_AFTER)
        .and_then(|v| v.to_str().ok())
        .and_then(|v| parse_retry_after(v, SystemTime::now()));
    let body: String = response
        .text()
        .await
        .unwrap_or_default()
        .chars()
        .take(MAX_BODY_CHARS)
        .collect();
    Err(match status {
        StatusCode::TOO_MANY_REQUESTS => PublishError::RateLimited { retry_after },
        StatusCode::UNAUTHORIZED => PublishError::Auth(AuthError::Other(
            "the Assist API refused a fresh token (401)".into(),
        )),
        StatusCode::FORBIDDEN => PublishError::Auth(AuthError::MissingScope("assist:write".into())),
        // 408: the server gave up waiting for the request; like a 5xx, a later attempt can succeed.
        s if s.is_server_error() || s == StatusCode::REQUEST_TIMEOUT => PublishError::Unavailable {
            status: s.as_u16(),
            retry_after,
        },
        s => PublishError::Rejected {
            status: s.as_u16(),
            body,
        },
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn payload_has_the_seed_shape() {
        let card = CardContent {
            title: "T".into(),
            body: "**T**\nb".into(),
            score: 0.5,
        };
        let expected = json!({"messages":[{"type":"card","content":{"title":"T","body":"**T**\nb","score":0.5}}]});
        assert_eq!(card_payload(&card), expected);
    }
}
