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

/// A deterministic stand-in for the model: the KB sync tests below are about which articles are applied, not vectors.
struct HashEmbedder;

impl assist_core::nlp::Embedder for HashEmbedder {
    fn model_name(&self) -> &str {
        "test-hash-embedder"
    }
    fn dim(&self) -> usize {
        8
    }
    fn embed(&self, texts: &[&str]) -> Result<Vec<Vec<f32>>, assist_core::nlp::EmbedError> {
        Ok(texts
            .iter()
            .map(|text| {
                let mut vector: Vec<f32> = (0..8u32)
                    .map(|i| {
                        let sum = text.bytes().fold(i + 1, |acc, b| {
                            acc.wrapping_mul(31).wrapping_add(u32::from(b))
                        });
                        (sum % 1000) as f32 + 1.0
                    })
                    .collect();
                let norm = vector.iter().map(|x| x * x).sum::<f32>().sqrt();
                vector.iter_mut().for_each(|x| *x /= norm);
                vector
            })
            .collect())
    }
}

const SYNC_KB: usize = 10;

fn sync_id(i: usize) -> String {
    format!("KB-{i:02}")
}

/// A simulator with ten articles served one per page (so a full listing is 10 requests, a 304 one) and the pipeline
/// on it, its first KB sync done.
async fn synced_pipeline(
    dir: &std::path::Path,
) -> (cxone_sim::SimServer, assist_core::pipeline::PipelineHandle) {
    let sim = start_sim(SimConfig {
        articles: (0..SYNC_KB)
            .map(|i| article(&sync_id(i), &format!("Body of article {i}")))
            .collect(),
        kb_page_size: 1,
        ..SimConfig::default()
    })
    .await;
    let config = assist_core::config::RawConfig {
        tenant: Some("test".into()),
        base_url: Some(sim.base_url()),
        token_url: Some(sim.token_url()),
        events_url: Some(sim.events_url()),
        ..assist_core::config::RawConfig::default()
    }
    .validate()
    .expect("config");
    let handle = assist_core::assemble::start_pipeline(
        &config,
        std::sync::Arc::new(assist_core::auth::secrets::MemoryStore::with_client(
            CLIENT_ID,
            CLIENT_SECRET,
        )),
        std::sync::Arc::new(HashEmbedder),
        dir,
        assist_core::pipeline::PipelineSettings::default(),
    )
    .await
    .expect("pipeline starts");
    let summary = handle.refresh_kb().await.expect("first sync");
    assert_eq!(summary.total_articles, SYNC_KB);
    (sim, handle)
}

async fn present(handle: &assist_core::pipeline::PipelineHandle) -> usize {
    let mut n = 0;
    for i in 0..SYNC_KB {
        n += usize::from(handle.article(&sync_id(i)).await.is_some());
    }
    n
}

#[tokio::test]
async fn kb_listing_without_items_leaves_the_kb_unchanged() {
    let dir = tempfile::tempdir().unwrap();
    let (sim, handle) = synced_pipeline(dir.path()).await;
    // Two in a row: a second `{}` must not count as a listing confirming the first.
    sim.faults().kb_200_without_items_next(2);
    for attempt in 1..=2 {
        let error = handle
            .refresh_kb()
            .await
            .expect_err("a 200 without items is an error, not an empty KB");
        assert!(
            error.to_string().contains("no items array"),
            "attempt {attempt}: {error}"
        );
        assert_eq!(present(&handle).await, SYNC_KB, "attempt {attempt}");
        assert_eq!(handle.status().borrow().kb_articles, SYNC_KB);
    }
    let summary = handle.refresh_kb().await.expect("the next poll works");
    assert_eq!(
        (summary.upserted, summary.removed, summary.total_articles),
        (0, 0, SYNC_KB)
    );
    handle.shutdown(std::time::Duration::from_secs(5)).await;
    sim.shutdown().await;
}

#[tokio::test]
async fn kb_listing_removing_most_articles_waits_for_a_confirming_listing() {
    let dir = tempfile::tempdir().unwrap();
    let (sim, handle) = synced_pipeline(dir.path()).await;
    for i in 2..SYNC_KB {
        sim.delete_article(&sync_id(i));
    }
    let error = handle
        .refresh_kb()
        .await
        .expect_err("a listing removing 80 % is held back");
    assert!(
        error.to_string().contains(
            "listing would remove 8 of 10 articles; waiting for a second listing to confirm"
        ),
        "{error}"
    );
    assert_eq!(present(&handle).await, SYNC_KB, "nothing deleted yet");
    assert_eq!(handle.status().borrow().kb_articles, SYNC_KB);

    // The held listing's Last-Modified was not committed: the next poll gets the full listing again, which agrees.
    let summary = handle
        .refresh_kb()
        .await
        .expect("the second listing confirms");
    assert_eq!(
        (summary.upserted, summary.removed, summary.total_articles),
        (0, 8, 2)
    );
    assert_eq!(present(&handle).await, 2);

    // Applied, so now committed: the next poll is one conditional request answered 304.
    let before = sim.stats().kb_requests;
    let summary = handle.refresh_kb().await.expect("not modified");
    assert_eq!((summary.upserted, summary.removed), (0, 0));
    assert_eq!(sim.stats().kb_requests, before + 1);
    handle.shutdown(std::time::Duration::from_secs(5)).await;
    sim.shutdown().await;
}

#[tokio::test]
async fn kb_listing_removing_a_minority_is_applied_at_once() {
    let dir = tempfile::tempdir().unwrap();
    let (sim, handle) = synced_pipeline(dir.path()).await;
    for i in 0..3 {
        sim.delete_article(&sync_id(i));
    }
    let summary = handle.refresh_kb().await.expect("30 % removed is applied");
    assert_eq!(
        (summary.upserted, summary.removed, summary.total_articles),
        (0, 3, SYNC_KB - 3)
    );
    assert_eq!(present(&handle).await, SYNC_KB - 3);
    handle.shutdown(std::time::Duration::from_secs(5)).await;
    sim.shutdown().await;
}
