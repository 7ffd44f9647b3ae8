//! [`OAuthTokenSource`]: bearer tokens from the OAuth endpoint, cached and refreshed early, fetched single-flight.
//!
//! Two grants ([`AuthFlow`]): the seed's client-credentials grant (credentials in the form body or HTTP Basic), and CXone's
//! access-key flow (`grant_type=password`, client credentials in Basic, access key id/secret as username/password; the API
//! base is taken from the response's `resource_server_base_uri` or from `/.well-known/cxone-configuration`).
//!
//! Concurrency: a tokio mutex is held across the fetch, and callers that waited on it reuse the outcome of the fetch
//! that completed meanwhile (token *or* error), so N concurrent callers cause one request.

use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::{Arc, Mutex};
use std::time::Duration;

use async_trait::async_trait;
use serde::Deserialize;
use tokio::time::Instant;
use url::Url;

use super::secrets::{ClientCredentials, CredentialKind, SecretStore};
use super::{AccessToken, AuthError, TokenSource};
use crate::config::{AuthFlow, ClientAuth, Config};

/// Refresh this long before the server's expiry.
pub const REFRESH_MARGIN: Duration = Duration::from_secs(300);
/// Lifetime assumed when the server omits `expires_in` (the seed's default).
const DEFAULT_EXPIRES_IN: u64 = 3600;

/// A reqwest client with the configured timeouts, shared by every HTTP adapter.
///
/// TLS is rustls verifying against the OS trust store (reqwest's platform verifier); nothing in the configuration can turn it off
/// (`tests/io_tls.rs`). Redirects are not followed: a 307/308 would resend the token request's client secret to
/// wherever the `Location` points, and the CXone API does not redirect (a 3xx surfaces as an error).
pub fn build_http_client(config: &Config) -> Result<reqwest::Client, reqwest::Error> {
    reqwest::Client::builder()
        .redirect(reqwest::redirect::Policy::none())
        .connect_timeout(config.connect_timeout)
        .timeout(config.request_timeout)
        .user_agent(concat!("supervisor-assist/", env!("CARGO_PKG_VERSION")))
        .build()
}

/// What the token source needs from the configuration.
#[derive(Debug, Clone)]
pub struct TokenSettings {
    pub token_url: Url,
    pub flow: AuthFlow,
    pub client_auth: ClientAuth,
    pub scopes: String,
}

impl From<&Config> for TokenSettings {
    fn from(config: &Config) -> Self {
        Self {
            token_url: config.token_url.clone(),
            flow: config.auth_flow,
            client_auth: config.client_auth,
            scopes: config.scopes.clone(),
        }
    }
}

/// When to stop using a token that lives `expires_in` seconds: 300 s early, or halfway for tokens shorter than 10 min.
pub fn refresh_delay(expires_in: u64) -> Duration {
    let lifetime = Duration::from_secs(expires_in);
    if lifetime > REFRESH_MARGIN * 2 {
        lifetime - REFRESH_MARGIN
    } else {
        lifetime / 2
    }
}

/// Outcome of the last fetch, shared with callers that waited for it.
#[derive(Default)]
struct Flight {
    last_error: Option<AuthError>,
}

/// The OAuth token source (see the module docs).
pub struct OAuthTokenSource {
    http: reqwest::Client,
    settings: TokenSettings,
    secrets: Arc<dyn SecretStore>,
    cached: Mutex<Option<AccessToken>>,
    flight: tokio::sync::Mutex<Flight>,
    completed_fetches: AtomicU64,
    api_base: Mutex<Option<Url>>,
}

#[derive(Deserialize)]
struct TokenResponse {
    access_token: String,
    expires_in: Option<u64>,
    resource_server_base_uri: Option<String>,
}

#[derive(Deserialize, Default)]
struct OAuthErrorBody {
    error: Option<String>,
    error_description: Option<String>,
}

impl OAuthTokenSource {
    pub fn new(
        http: reqwest::Client,
        settings: TokenSettings,
        secrets: Arc<dyn SecretStore>,
    ) -> Self {
        Self {
            http,
            settings,
            secrets,
            cached: Mutex::new(None),
            flight: tokio::sync::Mutex::new(Flight::default()),
            completed_fetches: AtomicU64::new(0),
            api_base: Mutex::new(None),
        }
    }

    /// The API base discovered by the access-key flow, if any (use it instead of the configured `base_url`).
    pub fn discovered_api_base(&self) -> Option<Url> {
        lock(&self.api_base).clone()
    }

    fn fresh_cached(&self) -> Option<AccessToken> {
        lock(&self.cached)
            .as_ref()
            .filter(|t| Instant::now() < t.refresh_at)
            .cloned()
    }

    async fn credentials(&self, kind: CredentialKind) -> Result<ClientCredentials, AuthError> {
        let secrets = Arc::clone(&self.secrets);
        let found = tokio::task::spawn_blocking(move || secrets.get(kind))
            .await
            .map_err(|e| AuthError::Other(format!("credential lookup failed: {e}")))?;
        match found {
            Ok(Some(credentials)) => Ok(credentials),
            Ok(None) => Err(AuthError::NoCredentials),
            Err(e) => Err(AuthError::Keychain(e.to_string())),
        }
    }

    async fn fetch(&self) -> Result<AccessToken, AuthError> {
        let client = self.credentials(CredentialKind::Client).await?;
        let mut request = self
            .http
            .post(self.settings.token_url.clone())
            .header("Accept", "application/json");
        let mut form: Vec<(&str, String)> = Vec::new();
        match self.settings.flow {
            AuthFlow::ClientCredentials => {
                form.push(("grant_type", "client_credentials".into()));
                form.push(("scope", self.settings.scopes.clone()));
                match self.settings.client_auth {
                    ClientAuth::Form => {
                        form.push(("client_id", client.client_id.clone()));
                        form.push(("client_secret", client.client_secret.expose().to_owned()));
                    }
                    ClientAuth::Basic => {
                        request = request
                            .basic_auth(&client.client_id, Some(client.client_secret.expose()));
                    }
                }
            }
            AuthFlow::AccessKey => {
                let key = self.credentials(CredentialKind::AccessKey).await?;
                form.push(("grant_type", "password".into()));
                form.push(("username", key.client_id.clone()));
                form.push(("password", key.client_secret.expose().to_owned()));
                request =
                    request.basic_auth(&client.client_id, Some(client.client_secret.expose()));
            }
        }
        tracing::debug!(url = %self.settings.token_url, flow = ?self.settings.flow, "requesting access token");
        let response = request
            .form(&form)
            .send()
            .await
            .map_err(|e| unreachable_error(&e))?;
        let status = response.status();
        let body = response.text().await.map_err(|e| unreachable_error(&e))?;
        if !status.is_success() {
            let error = classify_token_error(status, &body, &self.settings.scopes);
            tracing::warn!(%status, error = %error, "token request refused");
            return Err(error);
        }
        self.accept(&body).await
    }

    async fn accept(&self, body: &str) -> Result<AccessToken, AuthError> {
        let parsed: TokenResponse = serde_json::from_str(body)
            .map_err(|_| AuthError::Other("token response is not the expected JSON".into()))?;
        let expires_in = parsed.expires_in.unwrap_or(DEFAULT_EXPIRES_IN);
        if self.settings.flow == AuthFlow::AccessKey {
            self.discover_api_base(parsed.resource_server_base_uri.as_deref())
                .await;
        }
        tracing::debug!(expires_in, "access token received");
        Ok(AccessToken {
            value: parsed.access_token,
            refresh_at: Instant::now() + refresh_delay(expires_in),
        })
    }

    /// Best effort: the token response's `resource_server_base_uri`, else `/.well-known/cxone-configuration`.
    async fn discover_api_base(&self, from_token: Option<&str>) {
        let discovered = match from_token.and_then(|u| Url::parse(u).ok()) {
            Some(url) => Some(url),
            None => self.well_known_api_base().await,
        };
        if let Some(url) = discovered {
            tracing::info!(api_base = %url, "discovered CXone API base");
            *lock(&self.api_base) = Some(url);
        }
    }

    async fn well_known_api_base(&self) -> Option<Url> {
        #[derive(Deserialize)]
        struct WellKnown {
            api_endpoint: Option<String>,
            resource_server_base_uri: Option<String>,
        }
        let url = self
            .settings
            .token_url
            .join("/.well-known/cxone-configuration")
            .ok()?;
        let response = self
            .http
            .get(url)
            .send()
            .await
            .ok()?
            .error_for_status()
            .ok()?;
        let doc: WellKnown = response.json().await.ok()?;
        doc.api_endpoint
            .or(doc.resource_server_base_uri)
            .and_then(|u| Url::parse(&u).ok())
    }
}

#[async_trait]
impl TokenSource for OAuthTokenSource {
    async fn token(&self) -> Result<AccessToken, AuthError> {
        if let Some(token) = self.fresh_cached() {
            return Ok(token);
        }
        let seen = self.completed_fetches.load(Ordering::SeqCst);
        let mut flight = self.flight.lock().await;
        if self.completed_fetches.load(Ordering::SeqCst) != seen {
            // A fetch finished while we waited: share its outcome instead of asking again.
            if let Some(token) = self.fresh_cached() {
                return Ok(token);
            }
            if let Some(error) = &flight.last_error {
                return Err(error.clone());
            }
        }
        let result = self.fetch().await;
        match &result {
            Ok(token) => {
                *lock(&self.cached) = Some(token.clone());
                flight.last_error = None;
            }
            Err(error) => flight.last_error = Some(error.clone()),
        }
        self.completed_fetches.fetch_add(1, Ordering::SeqCst);
        result
    }

    fn invalidate(&self, stale: &AccessToken) {
        let mut cached = lock(&self.cached);
        if cached.as_ref().is_some_and(|t| t.value == stale.value) {
            tracing::debug!("access token invalidated after a 401");
            *cached = None;
        }
    }
}

fn lock<T>(mutex: &Mutex<T>) -> std::sync::MutexGuard<'_, T> {
    // Plain values: a panic elsewhere cannot leave them half-written.
    mutex.lock().unwrap_or_else(|e| e.into_inner())
}

/// A transport failure, described without the request body (reqwest never prints it) and without the URL's query.
/// A refused server certificate says so, since that is the one a supervisor behind a TLS-inspecting proxy needs to see.
pub(crate) fn describe_transport_error(error: &reqwest::Error) -> String {
    let kind = if let Some(tls) = certificate_problem(error) {
        format!("TLS certificate not trusted: {tls}")
    } else if error.is_timeout() {
        "timed out".to_owned()
    } else if error.is_connect() {
        "connection failed".to_owned()
    } else {
        "request failed".to_owned()
    };
    match error.url() {
        Some(url) => format!(
            "{kind} ({}://{})",
            url.scheme(),
            url.host_str().unwrap_or("?")
        ),
        None => kind,
    }
}

/// The innermost error in the chain that names a certificate, if any.
fn certificate_problem(error: &reqwest::Error) -> Option<String> {
    let mut found = None;
    let mut source = std::error::Error::source(error);
    while let Some(inner) = source {
        let message = inner.to_string();
        if message.contains("certificate") {
            found = Some(message);
        }
        source = inner.source();
    }
    found
}

fn unreachable_error(error: &reqwest::Error) -> AuthError {
    AuthError::Unreachable(describe_transport_error(error))
}

/// Maps a refused token request to the error the UI explains.
pub fn classify_token_error(status: reqwest::StatusCode, body: &str, scopes: &str) -> AuthError {
    let parsed: OAuthErrorBody = serde_json::from_str(body).unwrap_or_default();
    let code = parsed.error.as_deref().unwrap_or("");
    let description = parsed.error_description.unwrap_or_default();
    match code {
        "invalid_client" | "unauthorized_client" => AuthError::InvalidClient,
        "invalid_scope" => AuthError::MissingScope(if description.is_empty() {
            scopes.to_owned()
        } else {
            description
        }),
        "invalid_grant" => {
            AuthError::Other("the access key was rejected (invalid_grant); create a new one".into())
        }
        _ if status == reqwest::StatusCode::UNAUTHORIZED => AuthError::InvalidClient,
        _ if status == reqwest::StatusCode::FORBIDDEN => AuthError::MissingScope(scopes.to_owned()),
        _ if status.is_server_error() => {
            AuthError::Unreachable(format!("token endpoint answered {status}"))
        }
        _ => AuthError::Other(
            format!("token endpoint answered {status} {code}")
                .trim()
                .to_owned(),
        ),
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use reqwest::StatusCode;

    #[test]
    fn refresh_is_300_s_early_or_halfway_for_short_tokens() {
        assert_eq!(refresh_delay(3600), Duration::from_secs(3300));
        assert_eq!(refresh_delay(400), Duration::from_secs(200));
        assert_eq!(refresh_delay(0), Duration::ZERO);
    }

    #[test]
    fn token_errors_are_classified_for_the_ui() {
        let s = "interactions:read";
        let body = r#"{"error":"invalid_client"}"#;
        assert_eq!(
            classify_token_error(StatusCode::BAD_REQUEST, body, s),
            AuthError::InvalidClient
        );
        assert_eq!(
            classify_token_error(StatusCode::UNAUTHORIZED, "", s),
            AuthError::InvalidClient
        );
        assert_eq!(
            classify_token_error(StatusCode::FORBIDDEN, "", s),
            AuthError::MissingScope(s.into())
        );
        let scope = r#"{"error":"invalid_scope","error_description":"assist:write"}"#;
        assert_eq!(
            classify_token_error(StatusCode::BAD_REQUEST, scope, s),
            AuthError::MissingScope("assist:write".into())
        );
        assert!(matches!(
            classify_token_error(StatusCode::BAD_GATEWAY, "", s),
            AuthError::Unreachable(_)
        ));
        assert!(matches!(
            classify_token_error(StatusCode::BAD_REQUEST, "{}", s),
            AuthError::Other(_)
        ));
    }
}
