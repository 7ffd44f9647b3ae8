//! Token source: caching, early refresh, single flight, both grants, error mapping.

use std::time::Duration;

use assist_core::auth::secrets::MemoryStore;
use assist_core::auth::{AuthError, TokenSource};
use assist_core::config::{AuthFlow, ClientAuth};
use cxone_sim::FaultPatch;
use futures_util::future::join_all;
use url::Url;

use crate::common::*;

#[tokio::test(start_paused = true)]
async fn token_is_cached_and_refreshed_300_s_before_expiry() {
    let sim = sim().await;
    let tokens = demo_tokens(&sim);
    let first = tokens.token().await.unwrap();
    assert_eq!(tokens.token().await.unwrap().value, first.value);
    tokio::time::advance(Duration::from_secs(3299)).await;
    assert_eq!(tokens.token().await.unwrap().value, first.value);
    assert_eq!(sim.stats().token_requests, 1);
    tokio::time::advance(Duration::from_secs(2)).await;
    let second = tokens.token().await.unwrap();
    assert_ne!(
        second.value, first.value,
        "refreshed 300 s before the 3600 s expiry"
    );
    assert_eq!(sim.stats().token_requests, 2);
}

#[tokio::test]
async fn hundred_concurrent_callers_cause_one_request() {
    let sim = sim().await;
    let tokens = demo_tokens(&sim);
    let results = join_all((0..100).map(|_| tokens.token())).await;
    let first = results[0].as_ref().unwrap().value.clone();
    assert!(results.iter().all(|r| r.as_ref().unwrap().value == first));
    assert_eq!(sim.stats().token_requests, 1);
}

#[tokio::test]
async fn concurrent_callers_share_one_failure_too() {
    let sim = sim().await;
    fault(
        &sim,
        FaultPatch {
            reject_client: Some(true),
            ..FaultPatch::default()
        },
    );
    let tokens = demo_tokens(&sim);
    let results = join_all((0..50).map(|_| tokens.token())).await;
    assert!(results
        .iter()
        .all(|r| r.as_ref().unwrap_err() == &AuthError::InvalidClient));
    assert_eq!(sim.stats().token_requests, 1);
}

#[tokio::test]
async fn invalidate_forces_a_new_token() {
    let sim = sim().await;
    let tokens = demo_tokens(&sim);
    let stale = tokens.token().await.unwrap();
    tokens.invalidate(&stale);
    assert_ne!(tokens.token().await.unwrap().value, stale.value);
    assert_eq!(sim.stats().token_requests, 2);
}

#[tokio::test]
async fn wrong_secret_is_invalid_client() {
    let sim = sim().await;
    let tokens = tokens_with(settings(&sim), MemoryStore::with_client(CLIENT_ID, "wrong"));
    assert_eq!(tokens.token().await.unwrap_err(), AuthError::InvalidClient);
}

#[tokio::test]
async fn ungranted_scope_is_missing_scope() {
    let sim = sim().await;
    let mut settings = settings(&sim);
    settings.scopes = "interactions:read admin:everything".into();
    let tokens = tokens_with(settings, MemoryStore::with_client(CLIENT_ID, CLIENT_SECRET));
    assert!(matches!(
        tokens.token().await.unwrap_err(),
        AuthError::MissingScope(_)
    ));
}

#[tokio::test]
async fn absent_credentials_and_dead_endpoint_are_distinct() {
    let sim = sim().await;
    let tokens = tokens_with(settings(&sim), MemoryStore::default());
    assert_eq!(tokens.token().await.unwrap_err(), AuthError::NoCredentials);
    let mut dead = settings(&sim);
    dead.token_url = Url::parse("http://127.0.0.1:9/oauth/token").unwrap();
    let tokens = tokens_with(dead, MemoryStore::with_client(CLIENT_ID, CLIENT_SECRET));
    assert!(matches!(
        tokens.token().await.unwrap_err(),
        AuthError::Unreachable(_)
    ));
}

#[tokio::test]
async fn basic_client_auth_works() {
    let sim = sim().await;
    let mut settings = settings(&sim);
    settings.client_auth = ClientAuth::Basic;
    let tokens = tokens_with(settings, MemoryStore::with_client(CLIENT_ID, CLIENT_SECRET));
    assert!(tokens.token().await.is_ok());
}

#[tokio::test]
async fn access_key_flow_gets_a_token_and_discovers_the_api_base() {
    let sim = sim().await;
    let mut settings = settings(&sim);
    settings.flow = AuthFlow::AccessKey;
    settings.token_url = base_url(&sim).join("/auth/token").unwrap();
    let tokens = tokens_with(settings.clone(), store_with_access_key());
    assert!(tokens.token().await.is_ok());
    assert_eq!(
        tokens.discovered_api_base().unwrap().origin(),
        base_url(&sim).origin()
    );
    let without_key = tokens_with(settings, MemoryStore::with_client(CLIENT_ID, CLIENT_SECRET));
    assert_eq!(
        without_key.token().await.unwrap_err(),
        AuthError::NoCredentials
    );
}
