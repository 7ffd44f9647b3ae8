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

/// A loopback "knowledge API" answering every request with 200 and a chunked body that never ends (`secret` repeated
/// inside an items array); returns its base URL and how many bytes it managed to send.
async fn endless_page_server(
    secret: &'static str,
) -> (url::Url, std::sync::Arc<std::sync::atomic::AtomicUsize>) {
    use std::sync::atomic::{AtomicUsize, Ordering};
    use tokio::io::{AsyncReadExt, AsyncWriteExt};
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let address = listener.local_addr().unwrap();
    let sent = std::sync::Arc::new(AtomicUsize::new(0));
    let counter = sent.clone();
    tokio::spawn(async move {
        while let Ok((mut socket, _)) = listener.accept().await {
            let counter = counter.clone();
            tokio::spawn(async move {
                let mut request = Vec::new();
                let mut buffer = [0u8; 4096];
                while !request.windows(4).any(|w| w == b"\r\n\r\n") {
                    match socket.read(&mut buffer).await {
                        Ok(0) | Err(_) => return,
                        Ok(n) => request.extend_from_slice(&buffer[..n]),
                    }
                }
                let head = "HTTP/1.1 200 OK\r\ncontent-type: application/json\r\n\
                            transfer-encoding: chunked\r\n\r\n";
                if socket.write_all(head.as_bytes()).await.is_err() {
                    return;
                }
                let mut chunk = String::from(r#"{"items":[{"id":"1","content":""#);
                while chunk.len() < 64 * 1024 {
                    chunk.push_str(secret);
                }
                let framed = format!("{:x}\r\n{chunk}\r\n", chunk.len());
                while socket.write_all(framed.as_bytes()).await.is_ok() {
                    counter.fetch_add(chunk.len(), Ordering::Relaxed);
                    chunk = secret.repeat(64 * 1024 / secret.len());
                }
            });
        }
    });
    (
        url::Url::parse(&format!("http://{address}/")).unwrap(),
        sent,
    )
}

#[tokio::test]
async fn kb_page_over_the_size_cap_is_refused_without_its_content() {
    use assist_core::kb::client::MAX_PAGE_BYTES;
    let sim = sim().await;
    const SECRET: &str = "CONFIDENTIAL-ARTICLE-TEXT ";
    let (base, sent) = endless_page_server(SECRET).await;
    let mut source =
        HttpKnowledgeSource::new(reqwest::Client::new(), &base, demo_tokens(&sim), None).unwrap();
    let outcome = tokio::time::timeout(std::time::Duration::from_secs(60), source.fetch_changes())
        .await
        .expect("the read stops at the cap instead of buffering an endless body");
    let error = outcome.expect_err("an oversized page is refused");
    let message = error.to_string();
    assert!(
        matches!(&error, KbClientError::Protocol(_)) && message.contains("larger than 32 MiB"),
        "{message}"
    );
    assert!(
        !message.contains("CONFIDENTIAL"),
        "no page content in the error: {message}"
    );
    assert!(message.len() < 200, "a short reason: {message}");
    let sent = sent.load(std::sync::atomic::Ordering::Relaxed);
    assert!(sent > MAX_PAGE_BYTES / 2, "the server sent {sent} bytes");
    source.mark_applied();
    assert_eq!(source.applied_last_modified(), None);
}
