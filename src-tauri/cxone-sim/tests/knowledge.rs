//! The knowledge endpoint over real loopback HTTP: paging (206 / 200), conditional
//! requests (304), Last-Modified moving on every change, auth, and the 500 fault.

mod common;

use common::*;
use cxone_sim::{FaultPatch, SimConfig, SimServer};
use serde_json::Value;

async fn sim_with(count: usize, page_size: usize) -> SimServer {
    let articles = (1..=count).map(|i| article(&format!("kb-{i}"))).collect();
    start_with(SimConfig {
        articles,
        kb_page_size: page_size,
        ..SimConfig::default()
    })
    .await
}

async fn get_page(
    sim: &SimServer,
    token: &str,
    page: usize,
    since: Option<&str>,
) -> reqwest::Response {
    let mut request = http()
        .get(format!(
            "{}/api/v2/knowledge/articles?page={page}",
            sim.base_url()
        ))
        .bearer_auth(token);
    if let Some(since) = since {
        request = request.header("If-Modified-Since", since);
    }
    request.send().await.unwrap()
}

fn last_modified(response: &reqwest::Response) -> String {
    response.headers()["last-modified"]
        .to_str()
        .unwrap()
        .to_owned()
}

#[tokio::test]
async fn pages_are_206_until_the_last_which_is_200() {
    let sim = sim_with(5, 2).await;
    let token = token(&sim, "knowledge:read").await;
    let mut ids = Vec::new();
    for (page, status) in [(1, 206), (2, 206), (3, 200)] {
        let response = get_page(&sim, &token, page, None).await;
        assert_eq!(response.status(), status);
        assert!(!last_modified(&response).is_empty());
        let body: Value = response.json().await.unwrap();
        assert_eq!(
            (
                body["page"].as_u64(),
                body["total_pages"].as_u64(),
                body["total_items"].as_u64()
            ),
            (Some(page as u64), Some(3), Some(5))
        );
        let expected_next = if page < 3 {
            Value::from(page + 1)
        } else {
            Value::Null
        };
        assert_eq!(body["next_page"], expected_next);
        for item in body["items"].as_array().unwrap() {
            assert!(
                item["title"].is_string()
                    && item["content"].is_string()
                    && item["updated_at"].is_string()
            );
            ids.push(item["id"].as_str().unwrap().to_owned());
        }
    }
    assert_eq!(ids, ["kb-1", "kb-2", "kb-3", "kb-4", "kb-5"]);
    assert_eq!(get_page(&sim, &token, 4, None).await.status(), 400);
    assert_eq!(sim.stats().kb_requests, 4);
}

#[tokio::test]
async fn if_modified_since_gives_304_until_the_kb_changes() {
    let sim = sim_with(3, 100).await;
    let token = token(&sim, "knowledge:read").await;
    let first = get_page(&sim, &token, 1, None).await;
    assert_eq!(first.status(), 200);
    let stamp = last_modified(&first);
    assert_eq!(get_page(&sim, &token, 1, Some(&stamp)).await.status(), 304);

    sim.upsert_article(article("kb-new"));
    let changed = get_page(&sim, &token, 1, Some(&stamp)).await;
    assert_eq!(
        changed.status(),
        200,
        "a change in the same second still shows"
    );
    let after_upsert = last_modified(&changed);
    assert_ne!(after_upsert, stamp);
    assert_eq!(changed.json::<Value>().await.unwrap()["total_items"], 4);

    sim.delete_article("kb-1");
    let deleted = get_page(&sim, &token, 1, Some(&after_upsert)).await;
    assert_eq!(deleted.status(), 200);
    let body: Value = deleted.json().await.unwrap();
    assert_eq!(body["total_items"], 3);
    assert!(body["items"]
        .as_array()
        .unwrap()
        .iter()
        .all(|a| a["id"] != "kb-1"));
}

#[tokio::test]
async fn needs_a_token_with_knowledge_read() {
    let sim = sim_with(1, 100).await;
    assert_eq!(get_page(&sim, "bogus", 1, None).await.status(), 401);
    let other = token(&sim, "assist:write").await;
    assert_eq!(get_page(&sim, &other, 1, None).await.status(), 403);
}

#[tokio::test]
async fn kb_500_fault_fails_the_next_n_requests() {
    let sim = sim_with(1, 100).await;
    let token = token(&sim, "knowledge:read").await;
    sim.faults().kb_500_next(2);
    assert_eq!(get_page(&sim, &token, 1, None).await.status(), 500);
    assert_eq!(get_page(&sim, &token, 1, None).await.status(), 500);
    assert_eq!(get_page(&sim, &token, 1, None).await.status(), 200);

    let patch = FaultPatch {
        kb_500_next: Some(1),
        ..FaultPatch::default()
    };
    http()
        .post(format!("{}/_sim/faults", sim.base_url()))
        .json(&patch)
        .send()
        .await
        .unwrap();
    assert_eq!(get_page(&sim, &token, 1, None).await.status(), 500);
    assert_eq!(get_page(&sim, &token, 1, None).await.status(), 200);
}

#[tokio::test]
async fn empty_kb_is_one_empty_last_page() {
    let sim = sim_with(0, 100).await;
    let token = token(&sim, "knowledge:read").await;
    let response = get_page(&sim, &token, 1, None).await;
    assert_eq!(response.status(), 200);
    let body: Value = response.json().await.unwrap();
    assert_eq!(
        (
            body["total_pages"].as_u64(),
            body["items"].as_array().map(Vec::len)
        ),
        (Some(1), Some(0))
    );
}
