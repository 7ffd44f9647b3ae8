//! TLS certificate verification is always on and cannot be switched off by configuration: the HTTPS client every
//! adapter shares ([`build_http_client`]) and the events WebSocket both refuse a server whose certificate no trusted
//! root signed. The control: a client that trusts that certificate completes the handshake with the same server, so
//! the refusals are about trust, not a broken test server.

use std::sync::{Arc, Mutex};
use std::time::Duration;

use assist_core::auth::secrets::MemoryStore;
use assist_core::auth::token::build_http_client;
use assist_core::auth::{AccessToken, AuthError, OAuthTokenSource, TokenSettings, TokenSource};
use assist_core::config::Config;
use assist_core::events::{ConnectionStatus, EventSource, WsEventSource, WsSettings};
use async_trait::async_trait;
use rustls::pki_types::{CertificateDer, PrivateKeyDer, PrivatePkcs8KeyDer, ServerName};
use tokio::io::{AsyncReadExt, AsyncWriteExt};
use tokio::net::{TcpListener, TcpStream};
use tokio::sync::{mpsc, watch};
use tokio_util::sync::CancellationToken;

fn provider() -> Arc<rustls::crypto::CryptoProvider> {
    Arc::new(rustls::crypto::aws_lc_rs::default_provider())
}

/// A loopback TLS server with a freshly generated self-signed certificate for `localhost`; records how each
/// handshake ended.
struct SelfSignedServer {
    port: u16,
    cert: CertificateDer<'static>,
    outcomes: Arc<Mutex<Vec<String>>>,
}

impl SelfSignedServer {
    async fn start() -> Self {
        let rcgen::CertifiedKey { cert, key_pair } =
            rcgen::generate_simple_self_signed(vec!["localhost".to_owned()]).unwrap();
        let cert = cert.der().clone();
        let key = PrivateKeyDer::Pkcs8(PrivatePkcs8KeyDer::from(key_pair.serialize_der()));
        let config = rustls::ServerConfig::builder_with_provider(provider())
            .with_safe_default_protocol_versions()
            .unwrap()
            .with_no_client_auth()
            .with_single_cert(vec![cert.clone()], key)
            .unwrap();
        let acceptor = tokio_rustls::TlsAcceptor::from(Arc::new(config));
        let listener = TcpListener::bind("127.0.0.1:0").await.unwrap();
        let port = listener.local_addr().unwrap().port();
        let outcomes = Arc::new(Mutex::new(Vec::new()));
        let seen = Arc::clone(&outcomes);
        tokio::spawn(async move {
            while let Ok((tcp, _)) = listener.accept().await {
                let (acceptor, seen) = (acceptor.clone(), Arc::clone(&seen));
                tokio::spawn(async move {
                    match acceptor.accept(tcp).await {
                        Ok(mut tls) => {
                            seen.lock().unwrap().push("handshake completed".to_owned());
                            let mut request = [0u8; 4096];
                            let _ = tls.read(&mut request).await;
                            let _ = tls
                                .write_all(b"HTTP/1.1 500 Internal Server Error\r\ncontent-length: 0\r\nconnection: close\r\n\r\n")
                                .await;
                            let _ = tls.shutdown().await;
                        }
                        Err(error) => seen.lock().unwrap().push(error.to_string()),
                    }
                });
            }
        });
        Self {
            port,
            cert,
            outcomes,
        }
    }

    fn url(&self, scheme: &str, path: &str) -> String {
        format!("{scheme}://localhost:{}{path}", self.port)
    }

    /// Waits (at most 10 s: a hang, not a speed check) for `count` handshakes to end; returns how they ended.
    async fn outcomes(&self, count: usize) -> Vec<String> {
        for _ in 0..200 {
            let seen = self.outcomes.lock().unwrap().clone();
            if seen.len() >= count {
                return seen;
            }
            tokio::time::sleep(Duration::from_millis(50)).await;
        }
        panic!("fewer than {count} handshakes reached the server");
    }
}

fn config_for(server: &SelfSignedServer) -> Config {
    let env = [
        ("SUPERVISOR_ASSIST_TENANT", "acme".to_owned()),
        ("SUPERVISOR_ASSIST_BASE_URL", server.url("https", "")),
        (
            "SUPERVISOR_ASSIST_TOKEN_URL",
            server.url("https", "/oauth/token"),
        ),
        ("SUPERVISOR_ASSIST_EVENTS_URL", server.url("wss", "/events")),
    ]
    .map(|(k, v)| (k.to_owned(), v))
    .into_iter()
    .collect();
    Config::load(None, &env).unwrap()
}

fn refused_by_the_client(outcome: &str) -> bool {
    // The client aborts the handshake with a fatal alert naming the certificate problem.
    outcome.contains("alert") && !outcome.contains("handshake completed")
}

#[tokio::test]
async fn https_to_an_untrusted_certificate_is_refused() {
    let server = SelfSignedServer::start().await;
    let config = config_for(&server);
    let tokens = OAuthTokenSource::new(
        build_http_client(&config).unwrap(),
        TokenSettings::from(&config),
        Arc::new(MemoryStore::with_client("client-id", "client-secret")),
    );
    let error = tokens.token().await.unwrap_err();
    assert!(
        matches!(&error, AuthError::Unreachable(why) if why.contains("certificate not trusted")),
        "expected a certificate failure, got {error:?}"
    );
    let outcomes = server.outcomes(1).await;
    println!("[tls] HTTPS client: {error}; server saw {outcomes:?}");
    assert!(
        outcomes.iter().all(|o| refused_by_the_client(o)),
        "{outcomes:?}"
    );
}

/// A token source that never fails: the WebSocket test is about the TLS handshake, not auth.
struct FixedToken;

#[async_trait]
impl TokenSource for FixedToken {
    async fn token(&self) -> Result<AccessToken, AuthError> {
        Ok(AccessToken {
            value: "fixed-token".into(),
            refresh_at: tokio::time::Instant::now() + Duration::from_secs(3600),
        })
    }
    fn invalidate(&self, _stale: &AccessToken) {}
}

#[tokio::test]
async fn wss_to_an_untrusted_certificate_is_refused() {
    let server = SelfSignedServer::start().await;
    // The app's own settings (its backoff retries within the test's 10 s wait).
    let settings = WsSettings::from(&config_for(&server));
    let source = WsEventSource::new(settings, Arc::new(FixedToken));
    let stats = source.stats();
    let (tx, _events) = mpsc::channel(4);
    let (status_tx, status) = watch::channel(ConnectionStatus::Stopped);
    let cancel = CancellationToken::new();
    let task = tokio::spawn(Box::new(source).run(tx, status_tx, cancel.clone()));
    let outcomes = server.outcomes(2).await;
    let last_status = status.borrow().clone();
    cancel.cancel();
    task.await.unwrap();
    println!("[tls] WebSocket status: {last_status:?}; server saw {outcomes:?}");
    assert!(
        outcomes.iter().all(|o| refused_by_the_client(o)),
        "{outcomes:?}"
    );
    assert_eq!(stats.snapshot().connects, 0, "never connected");
    assert!(
        !matches!(last_status, ConnectionStatus::Connected),
        "{last_status:?}"
    );
}

#[tokio::test]
async fn control_a_client_that_trusts_the_certificate_completes_the_handshake() {
    let server = SelfSignedServer::start().await;
    let mut roots = rustls::RootCertStore::empty();
    roots.add(server.cert.clone()).unwrap();
    let config = rustls::ClientConfig::builder_with_provider(provider())
        .with_safe_default_protocol_versions()
        .unwrap()
        .with_root_certificates(roots)
        .with_no_client_auth();
    let connector = tokio_rustls::TlsConnector::from(Arc::new(config));
    let tcp = TcpStream::connect(("127.0.0.1", server.port))
        .await
        .unwrap();
    let mut tls = connector
        .connect(ServerName::try_from("localhost").unwrap(), tcp)
        .await
        .expect("a client trusting the certificate completes the handshake");
    tls.write_all(b"GET / HTTP/1.1\r\nhost: localhost\r\n\r\n")
        .await
        .unwrap();
    let mut response = String::new();
    let _ = tls.read_to_string(&mut response).await;
    assert!(response.starts_with("HTTP/1.1 500"), "{response:?}");
    assert_eq!(server.outcomes(1).await, vec!["handshake completed"]);
}
