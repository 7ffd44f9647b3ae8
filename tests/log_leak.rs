//! `RUST_LOG=trace` with the app's own subscriber (`logging::init`, file in a temp dir) over a real WebSocket
//! connection to the simulator: the log file holds neither the bearer token nor the transcript text.
//! Its own test binary: it installs the global subscriber (and `log`'s LogTracer) and sets `RUST_LOG`.

use std::sync::Arc;
use std::time::Duration;

use assist_core::auth::secrets::MemoryStore;
use assist_core::auth::{OAuthTokenSource, TokenSettings, TokenSource};
use assist_core::config::{AuthFlow, ClientAuth, DEFAULT_SCOPES};
use assist_core::domain::InteractionEvent;
use assist_core::events::backoff::Backoff;
use assist_core::events::{ConnectionStatus, EventSource, WsEventSource, WsSettings};
use cxone_sim::{SimConfig, SimServer};
use serde_json::json;
use tokio::sync::{mpsc, watch};
use tokio_util::sync::CancellationToken;
use url::Url;

const TRANSCRIPT: &str = "my account number is zebra-quokka-4471 and the router blinks amber";

async fn connect_and_receive_one_event() -> String {
    let sim = SimServer::start(SimConfig::default())
        .await
        .expect("simulator starts");
    let tokens = Arc::new(OAuthTokenSource::new(
        reqwest::Client::new(),
        TokenSettings {
            token_url: Url::parse(&sim.token_url()).unwrap(),
            flow: AuthFlow::ClientCredentials,
            client_auth: ClientAuth::Form,
            scopes: DEFAULT_SCOPES.to_owned(),
        },
        Arc::new(MemoryStore::with_client("demo-client", "demo-secret")),
    ));
    // The cached token is the one the WebSocket handshake sends.
    let token = tokens.token().await.expect("a token").value;
    let settings = WsSettings {
        url: Url::parse(&sim.events_url()).unwrap(),
        ping_interval: Duration::from_secs(20),
        pong_timeout: Duration::from_secs(10),
        connect_timeout: Duration::from_secs(5),
        max_frame_bytes: 1 << 20,
        backoff: Backoff::new(
            Duration::from_millis(10),
            Duration::from_millis(100),
            Duration::from_secs(1),
        ),
    };
    let source = WsEventSource::new(settings, tokens);
    let (tx, mut events) = mpsc::channel(16);
    let (status_tx, _status) = watch::channel(ConnectionStatus::Stopped);
    let cancel = CancellationToken::new();
    let task = tokio::spawn(Box::new(source).run(tx, status_tx, cancel.clone()));
    for _ in 0..500 {
        if sim.connected_clients() == 1 {
            break;
        }
        tokio::time::sleep(Duration::from_millis(20)).await;
    }
    assert_eq!(sim.connected_clients(), 1, "the source connected");
    // A frame our own code traces (proves RUST_LOG=trace still reaches our crates), then the transcript.
    sim.send_event(json!({"type": "heartbeat"}));
    sim.send_event(
        json!({"type":"interaction","data":{"id":"i-1","state":"active",
        "channels":[{"type":"voice","transcript":TRANSCRIPT}]}}),
    );
    let event = tokio::time::timeout(Duration::from_secs(10), events.recv())
        .await
        .expect("an event")
        .expect("stream open");
    match event {
        InteractionEvent::Active(active) => assert_eq!(active.interaction_id, "i-1"),
        other => panic!("unexpected event {other:?}"),
    }
    cancel.cancel();
    task.await.unwrap();
    sim.shutdown().await;
    token
}

#[test]
fn rust_log_trace_over_a_real_websocket_logs_no_token_or_transcript() {
    std::env::set_var("RUST_LOG", "trace");
    let dir = tempfile::tempdir().unwrap();
    let guard = supervisor_assist::logging::init(Some(dir.path())).expect("a file subscriber");
    let runtime = tokio::runtime::Builder::new_multi_thread()
        .enable_all()
        .build()
        .unwrap();
    let token = runtime.block_on(connect_and_receive_one_event());
    drop(runtime);
    drop(guard); // flushes the file writer

    let mut logs = String::new();
    for entry in std::fs::read_dir(dir.path()).unwrap() {
        logs.push_str(&std::fs::read_to_string(entry.unwrap().path()).unwrap());
    }
    assert!(
        logs.contains("interactions stream connected") && logs.contains("ignoring frame"),
        "our own info and trace lines were written:\n{logs}"
    );
    assert!(!token.is_empty());
    // tungstenite prints frame payloads as hex: look for both spellings.
    let needles = [
        ("bearer token", token.clone()),
        ("bearer token (hex)", hex(&token)),
        ("transcript", "zebra-quokka".to_owned()),
        ("transcript (hex)", hex("zebra-quokka")),
    ];
    let leaked: Vec<&str> = needles
        .iter()
        .filter(|(_, needle)| logs.contains(needle.as_str()))
        .map(|(what, _)| *what)
        .collect();
    assert!(leaked.is_empty(), "leaked into the log: {leaked:?}");
}

fn hex(text: &str) -> String {
    text.bytes().map(|b| format!("{b:02x}")).collect()
}
