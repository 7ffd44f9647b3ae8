//! Helpers shared by the I/O integration tests.

use std::sync::Arc;

use assist_core::auth::secrets::{ClientCredentials, CredentialKind, MemoryStore, SecretStore};
use assist_core::auth::{OAuthTokenSource, TokenSettings};
use assist_core::config::{AuthFlow, ClientAuth, DEFAULT_SCOPES};
use cxone_sim::{FaultPatch, SimConfig, SimServer};
use url::Url;

pub const CLIENT_ID: &str = "demo-client";
pub const CLIENT_SECRET: &str = "demo-secret";

pub async fn start_sim(config: SimConfig) -> SimServer {
    SimServer::start(config).await.expect("simulator starts")
}

pub async fn sim() -> SimServer {
    start_sim(SimConfig::default()).await
}

pub fn settings(sim: &SimServer) -> TokenSettings {
    TokenSettings {
        token_url: Url::parse(&sim.token_url()).unwrap(),
        flow: AuthFlow::ClientCredentials,
        client_auth: ClientAuth::Form,
        scopes: DEFAULT_SCOPES.to_owned(),
    }
}

pub fn tokens_with(
    settings: TokenSettings,
    store: impl SecretStore + 'static,
) -> Arc<OAuthTokenSource> {
    Arc::new(OAuthTokenSource::new(
        reqwest::Client::new(),
        settings,
        Arc::new(store),
    ))
}

pub fn demo_tokens(sim: &SimServer) -> Arc<OAuthTokenSource> {
    tokens_with(
        settings(sim),
        MemoryStore::with_client(CLIENT_ID, CLIENT_SECRET),
    )
}

pub fn store_with_access_key() -> MemoryStore {
    let store = MemoryStore::with_client(CLIENT_ID, CLIENT_SECRET);
    store
        .set(
            CredentialKind::AccessKey,
            &ClientCredentials::new("demo-key", "demo-key-secret"),
        )
        .unwrap();
    store
}

pub fn base_url(sim: &SimServer) -> Url {
    Url::parse(&sim.base_url()).unwrap()
}

pub fn fault(sim: &SimServer, patch: FaultPatch) {
    sim.faults().apply(patch);
}
