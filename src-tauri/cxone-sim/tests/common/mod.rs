//! Helpers shared by the integration suites: start a simulator, get tokens, open sockets.
#![allow(dead_code)]

use std::time::Duration;

use cxone_sim::{Conversation, SimArticle, SimConfig, SimServer, Turn};
use futures_util::StreamExt;
use tokio::net::TcpStream;
use tokio_tungstenite::tungstenite::client::IntoClientRequest;
use tokio_tungstenite::tungstenite::Message;
use tokio_tungstenite::{MaybeTlsStream, WebSocketStream};

pub type Ws = WebSocketStream<MaybeTlsStream<TcpStream>>;

pub const ALL_SCOPES: &str = "interactions:read assist:write knowledge:read";

pub fn article(id: &str) -> SimArticle {
    SimArticle {
        id: id.into(),
        title: format!("Title {id}"),
        content: format!("Content of {id}"),
        updated_at: Some("2026-01-01T00:00:00Z".into()),
    }
}

pub fn conversation(id: &str) -> Conversation {
    let turn = |speaker: &str, text: &str| Turn {
        speaker: speaker.into(),
        text: text.into(),
    };
    Conversation {
        id: id.into(),
        turns: vec![
            turn("customer", "My card was declined"),
            turn("agent", "Let me check that"),
        ],
        relevant: vec!["kb-1".into()],
    }
}

pub async fn start() -> SimServer {
    start_with(SimConfig::default()).await
}

pub async fn start_with(config: SimConfig) -> SimServer {
    SimServer::start(config).await.unwrap()
}

pub fn http() -> reqwest::Client {
    reqwest::Client::new()
}

/// Requests a token with `scope` through the client-credentials form flow.
pub async fn token(sim: &SimServer, scope: &str) -> String {
    let response = http()
        .post(sim.token_url())
        .form(&[
            ("grant_type", "client_credentials"),
            ("client_id", "demo-client"),
            ("client_secret", "demo-secret"),
            ("scope", scope),
        ])
        .send()
        .await
        .unwrap();
    assert_eq!(response.status(), 200);
    let body: serde_json::Value = response.json().await.unwrap();
    body["access_token"].as_str().unwrap().to_owned()
}

/// Opens the events socket with `token`; waits until the simulator counts the client.
pub async fn connect(sim: &SimServer, token: &str) -> Ws {
    let before = sim.connected_clients();
    let mut request = sim.events_url().into_client_request().unwrap();
    request
        .headers_mut()
        .insert("Authorization", format!("Bearer {token}").parse().unwrap());
    let (ws, _) = tokio_tungstenite::connect_async(request).await.unwrap();
    wait_until(|| sim.connected_clients() > before).await;
    ws
}

/// Handshake status code of a refused WebSocket connection.
pub async fn refused_status(sim: &SimServer, authorization: Option<&str>) -> u16 {
    let mut request = sim.events_url().into_client_request().unwrap();
    if let Some(value) = authorization {
        request
            .headers_mut()
            .insert("Authorization", value.parse().unwrap());
    }
    match tokio_tungstenite::connect_async(request).await {
        Err(tokio_tungstenite::tungstenite::Error::Http(response)) => response.status().as_u16(),
        other => panic!("expected an HTTP refusal, got {:?}", other.map(|(_, r)| r)),
    }
}

/// The next text frame (skipping pongs), failing after 5 s.
pub async fn next_text(ws: &mut Ws) -> String {
    loop {
        match next_message(ws).await {
            Some(Ok(Message::Text(text))) => return text.to_string(),
            Some(Ok(Message::Pong(_))) => continue,
            other => panic!("expected a text frame, got {other:?}"),
        }
    }
}

pub async fn next_message(
    ws: &mut Ws,
) -> Option<Result<Message, tokio_tungstenite::tungstenite::Error>> {
    tokio::time::timeout(Duration::from_secs(5), ws.next())
        .await
        .expect("no WebSocket message within 5 s")
}

pub async fn next_json(ws: &mut Ws) -> serde_json::Value {
    serde_json::from_str(&next_text(ws).await).unwrap()
}

/// Polls `condition` every 10 ms for up to 5 s.
pub async fn wait_until(condition: impl Fn() -> bool) {
    for _ in 0..500 {
        if condition() {
            return;
        }
        tokio::time::sleep(Duration::from_millis(10)).await;
    }
    panic!("condition not met within 5 s");
}

/// True when the socket ended without a close frame (an abrupt drop).
pub async fn ended_without_close_frame(ws: &mut Ws) -> bool {
    match next_message(ws).await {
        None | Some(Err(_)) => true,
        Some(Ok(other)) => panic!("expected the socket to drop, got {other:?}"),
    }
}

pub fn card_payload(title: &str) -> serde_json::Value {
    serde_json::json!({"messages": [{"type": "card", "content": {"title": title, "body": "b", "score": 0.5}}]})
}
