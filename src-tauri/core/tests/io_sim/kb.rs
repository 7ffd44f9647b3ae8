//! Knowledge client: 200 / 206 paging / 304, Last-Modified committed only when applied, changes as a diff.

use std::collections::HashMap;

use assist_core::kb::client::{HttpKnowledgeSource, KbChanges, KbClientError, KnowledgeSource};
use assist_core::kb::store::{content_hash, diff_against};
use cxone_sim::{FaultPatch, SimArticle, SimConfig};

use crate::common::*;

fn article(id: &str, content: &str) -> SimArticle {
    SimArticle {
        id: id.into(),
        title: format!("Title {id}"),
        content: content.into(),
        updated_at: None,
    }
}

async fn paged_sim() -> cxone_sim::SimServer {
    let articles = (1..=5)
        .map(|i| {
            article(
                &format!("KB-{i}"),
                &format!("<p>Body {i}</p><script>x()</script>"),
            )
        })
        .collect();
    start_sim(SimConfig {
        articles,
        kb_page_size: 2,
        ..SimConfig::default()
    })
    .await
}

fn full(changes: KbChanges) -> Vec<assist_core::domain::Article> {
    match changes {
        KbChanges::Full { articles, .. } => articles,
        KbChanges::NotModified => panic!("expected a full listing"),
    }
}

#[tokio::test]
async fn pages_are_followed_until_200_and_html_is_converted() {
    let sim = paged_sim().await;
    let mut source = HttpKnowledgeSource::new(
        reqwest::Client::new(),
        &base_url(&sim),
        demo_tokens(&sim),
        None,
    )
    .unwrap();
    let articles = full(source.fetch_changes().await.unwrap());
    let ids: Vec<&str> = articles.iter().map(|a| a.id.as_str()).collect();
    assert_eq!(ids, ["KB-1", "KB-2", "KB-3", "KB-4", "KB-5"]);
    assert_eq!(articles[0].content, "Body 1");
    assert_eq!(sim.stats().kb_requests, 3, "two 206 pages and a final 200");
}

#[tokio::test]
async fn not_modified_only_after_the_listing_was_applied() {
    let sim = paged_sim().await;
    let mut source = HttpKnowledgeSource::new(
        reqwest::Client::new(),
        &base_url(&sim),
        demo_tokens(&sim),
        None,
    )
    .unwrap();
    full(source.fetch_changes().await.unwrap());
    assert_eq!(source.applied_last_modified(), None);
    full(source.fetch_changes().await.unwrap());
    source.mark_applied();
    assert!(source.applied_last_modified().is_some());
    let before = sim.stats().kb_requests;
    assert_eq!(
        source.fetch_changes().await.unwrap(),
        KbChanges::NotModified
    );
    assert_eq!(sim.stats().kb_requests, before + 1);
}

#[tokio::test]
async fn changes_become_upserts_and_deletions() {
    let sim = paged_sim().await;
    let mut source = HttpKnowledgeSource::new(
        reqwest::Client::new(),
        &base_url(&sim),
        demo_tokens(&sim),
        None,
    )
    .unwrap();
    let stored: HashMap<String, u64> = full(source.fetch_changes().await.unwrap())
        .iter()
        .map(|a| (a.id.clone(), content_hash(a)))
        .collect();
    source.mark_applied();
    sim.upsert_article(article("KB-2", "changed"));
    sim.upsert_article(article("KB-6", "new"));
    sim.delete_article("KB-4");
    let diff = diff_against(full(source.fetch_changes().await.unwrap()), &stored);
    let upserts: Vec<&str> = diff.upserts.iter().map(|a| a.id.as_str()).collect();
    assert_eq!(upserts, ["KB-2", "KB-6"]);
    assert_eq!(diff.deletions, ["KB-4"]);
}

#[tokio::test]
async fn a_server_error_mid_listing_commits_nothing() {
    let sim = paged_sim().await;
    let mut source = HttpKnowledgeSource::new(
        reqwest::Client::new(),
        &base_url(&sim),
        demo_tokens(&sim),
        None,
    )
    .unwrap();
    fault(
        &sim,
        FaultPatch {
            kb_500_next: Some(1),
            ..FaultPatch::default()
        },
    );
    assert!(matches!(
        source.fetch_changes().await,
        Err(KbClientError::Transient(_))
    ));
    source.mark_applied();
    assert_eq!(source.applied_last_modified(), None);
    assert_eq!(full(source.fetch_changes().await.unwrap()).len(), 5);
}
