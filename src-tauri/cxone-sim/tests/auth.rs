//! Token endpoints over real loopback HTTP: client credentials (form and Basic), access-key
//! password grant, discovery, and the reject-client / token-TTL faults.

mod common;

use std::time::Duration;

use common::*;
use cxone_sim::{FaultPatch, SimConfig};
use serde_json::Value;

async fn post_token(sim: &cxone_sim::SimServer, form: &[(&str, &str)]) -> (u16, Value) {
    let response = http()
        .post(sim.token_url())
        .form(form)
        .send()
        .await
        .unwrap();
    (response.status().as_u16(), response.json().await.unwrap())
}

#[tokio::test]
async fn client_credentials_form_grants_requested_scopes() {
    let sim = start().await;
    let (status, body) = post_token(
        &sim,
        &[
            ("grant_type", "client_credentials"),
            ("client_id", "demo-client"),
            ("client_secret", "demo-secret"),
            ("scope", "assist:write"),
        ],
    )
    .await;
    assert_eq!(status, 200);
    assert_eq!(body["token_type"], "bearer");
    assert_eq!(body["expires_in"], 3600);
    assert_eq!(body["scope"], "assist:write");
    assert!(body["access_token"].as_str().unwrap().len() > 20);
    assert_eq!(sim.stats().token_requests, 1);
}

#[tokio::test]
async fn client_credentials_basic_auth_and_default_scope() {
    let sim = start_with(SimConfig {
        token_ttl_secs: 60,
        ..SimConfig::default()
    })
    .await;
    let response = http()
        .post(sim.token_url())
        .basic_auth("demo-client", Some("demo-secret"))
        .form(&[("grant_type", "client_credentials")])
        .send()
        .await
        .unwrap();
    assert_eq!(response.status(), 200);
    let body: Value = response.json().await.unwrap();
    assert_eq!(body["expires_in"], 60);
    assert_eq!(
        body["scope"],
        "assist:write interactions:read knowledge:read"
    );
    let first = body["access_token"].as_str().unwrap().to_owned();
    assert_ne!(first, token(&sim, ALL_SCOPES).await, "tokens are random");
}

#[tokio::test]
async fn wrong_secret_is_invalid_client_and_bad_scope_is_invalid_scope() {
    let sim = start().await;
    let (status, body) = post_token(
        &sim,
        &[
            ("grant_type", "client_credentials"),
            ("client_id", "demo-client"),
            ("client_secret", "nope"),
        ],
    )
    .await;
    assert_eq!(
        (status, body["error"].as_str()),
        (401, Some("invalid_client"))
    );
    let (status, body) = post_token(
        &sim,
        &[
            ("grant_type", "client_credentials"),
            ("client_id", "demo-client"),
            ("client_secret", "demo-secret"),
            ("scope", "assist:write admin:all"),
        ],
    )
    .await;
    assert_eq!(
        (status, body["error"].as_str()),
        (400, Some("invalid_scope"))
    );
    let (status, body) = post_token(
        &sim,
        &[
            ("grant_type", "password"),
            ("client_id", "demo-client"),
            ("client_secret", "demo-secret"),
        ],
    )
    .await;
    assert_eq!(
        (status, body["error"].as_str()),
        (400, Some("unsupported_grant_type"))
    );
    assert_eq!(sim.stats().token_requests, 3);
}

#[tokio::test]
async fn reject_client_fault_refuses_good_credentials_until_cleared() {
    let sim = start().await;
    let good = [
        ("grant_type", "client_credentials"),
        ("client_id", "demo-client"),
        ("client_secret", "demo-secret"),
    ];
    sim.faults().set_reject_client(true);
    let (status, body) = post_token(&sim, &good).await;
    assert_eq!(
        (status, body["error"].as_str()),
        (401, Some("invalid_client"))
    );
    sim.faults().set_reject_client(false);
    assert_eq!(post_token(&sim, &good).await.0, 200);
}

#[tokio::test]
async fn token_ttl_fault_shortens_new_tokens_and_they_expire() {
    let sim = start().await;
    sim.faults().set_token_ttl(Some(Duration::from_millis(200)));
    let response = http()
        .post(sim.token_url())
        .form(&[
            ("grant_type", "client_credentials"),
            ("client_id", "demo-client"),
            ("client_secret", "demo-secret"),
        ])
        .send()
        .await
        .unwrap();
    let body: Value = response.json().await.unwrap();
    assert_eq!(body["expires_in"], 1, "sub-second TTL rounds up");
    let token = body["access_token"].as_str().unwrap();
    let kb_url = format!("{}/api/v2/knowledge/articles", sim.base_url());
    let fresh = http().get(&kb_url).bearer_auth(token).send().await.unwrap();
    assert_eq!(fresh.status(), 200);
    tokio::time::sleep(Duration::from_millis(300)).await;
    let stale = http().get(&kb_url).bearer_auth(token).send().await.unwrap();
    assert_eq!(stale.status(), 401);
    sim.faults().set_token_ttl(None);
    assert_eq!(sim.faults().snapshot().token_ttl_ms, 0);
}

#[tokio::test]
async fn access_key_flow_and_discovery() {
    let sim = start().await;
    let url = format!("{}/auth/token", sim.base_url());
    let grant = |password: &'static str| {
        http()
            .post(&url)
            .basic_auth("demo-client", Some("demo-secret"))
            .form(&[
                ("grant_type", "password"),
                ("username", "demo-key"),
                ("password", password),
            ])
            .send()
    };
    let response = grant("demo-key-secret").await.unwrap();
    assert_eq!(response.status(), 200);
    let body: Value = response.json().await.unwrap();
    assert_eq!(body["token_type"], "bearer");
    assert_eq!(body["resource_server_base_uri"], sim.base_url());
    assert!(body["id_token"].is_string());
    let kb = http()
        .get(format!("{}/api/v2/knowledge/articles", sim.base_url()))
        .bearer_auth(body["access_token"].as_str().unwrap())
        .send()
        .await
        .unwrap();
    assert_eq!(kb.status(), 200);

    let refused = grant("wrong").await.unwrap();
    assert_eq!(refused.status(), 400);
    let refused: Value = refused.json().await.unwrap();
    assert_eq!(refused["error"], "invalid_grant");

    let discovery: Value = http()
        .get(format!(
            "{}/.well-known/cxone-configuration",
            sim.base_url()
        ))
        .send()
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    assert_eq!(discovery["api_endpoint"], sim.base_url());
    assert_eq!(discovery["auth_endpoint"], sim.base_url());
}

#[tokio::test]
async fn reject_client_fault_via_control_api() {
    let sim = start().await;
    let patch = FaultPatch {
        reject_client: Some(true),
        ..FaultPatch::default()
    };
    let response = http()
        .post(format!("{}/_sim/faults", sim.base_url()))
        .json(&patch)
        .send()
        .await
        .unwrap();
    assert_eq!(response.status(), 200);
    let settings: Value = response.json().await.unwrap();
    assert_eq!(settings["reject_client"], true);
    assert!(sim.faults().snapshot().reject_client);
}
