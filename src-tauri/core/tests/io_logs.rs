//! No secret or bearer token in the logs, even at TRACE level for every crate.
//! Its own test binary: a thread-local subscriber must not race other tests for tracing's callsite cache.

#[allow(dead_code)] // shared helpers; this binary uses a few
#[path = "io_sim/common.rs"]
mod common;

use std::io::Write;
use std::sync::{Arc, Mutex};

use assist_core::auth::TokenSource;
use assist_core::domain::CardContent;
use assist_core::kb::client::{HttpKnowledgeSource, KnowledgeSource};
use assist_core::publish::{CardSink, HttpCardSink};
use tracing_subscriber::fmt::MakeWriter;

use crate::common::*;

#[derive(Clone, Default)]
struct Captured(Arc<Mutex<Vec<u8>>>);

impl Write for Captured {
    fn write(&mut self, buf: &[u8]) -> std::io::Result<usize> {
        self.0.lock().unwrap().extend_from_slice(buf);
        Ok(buf.len())
    }
    fn flush(&mut self) -> std::io::Result<()> {
        Ok(())
    }
}

impl<'a> MakeWriter<'a> for Captured {
    type Writer = Captured;
    fn make_writer(&'a self) -> Self::Writer {
        self.clone()
    }
}

#[tokio::test]
async fn trace_logs_never_contain_the_secret_or_the_token() {
    let captured = Captured::default();
    let subscriber = tracing_subscriber::fmt()
        .with_max_level(tracing::Level::TRACE)
        .with_writer(captured.clone())
        .with_ansi(false)
        .finish();
    let _guard = tracing::subscriber::set_default(subscriber);

    let sim = sim().await;
    let tokens = demo_tokens(&sim);
    let token = tokens.token().await.unwrap();
    tracing::debug!(?token, "the token's Debug form");
    let sink = HttpCardSink::new(reqwest::Client::new(), base_url(&sim), tokens.clone());
    let card = CardContent {
        title: "t".into(),
        body: "b".into(),
        score: 0.5,
    };
    sink.deliver("i-1", &card, "key").await.unwrap();
    let mut kb = HttpKnowledgeSource::new(
        reqwest::Client::new(),
        &base_url(&sim),
        tokens.clone(),
        None,
    )
    .unwrap();
    kb.fetch_changes().await.unwrap();

    let logs = String::from_utf8(captured.0.lock().unwrap().clone()).unwrap();
    assert!(
        logs.contains("requesting access token") && logs.contains("posting an assist card"),
        "logs were captured"
    );
    assert!(logs.contains("[redacted]"));
    assert!(!logs.contains(CLIENT_SECRET), "client secret leaked");
    assert!(!logs.contains(&token.value), "bearer token leaked");
}
