//! Simulator configuration and the fixture types it serves: knowledge articles and
//! scripted conversations, both loadable from JSON Lines files.

use std::fmt;
use std::net::SocketAddr;
use std::path::Path;

use anyhow::Context;
use serde::de::DeserializeOwned;
use serde::{Deserialize, Serialize};

/// Everything a [`crate::SimServer`] needs at start.
#[derive(Clone)]
pub struct SimConfig {
    /// Address to bind; `127.0.0.1:0` picks a free loopback port.
    pub bind: SocketAddr,
    /// The one OAuth client the token endpoints accept.
    pub client_id: String,
    /// Secret of that client (never logged).
    pub client_secret: String,
    /// CXone access-key id accepted by the `/auth/token` password grant.
    pub access_key_id: String,
    /// CXone access-key secret accepted by the `/auth/token` password grant (never logged).
    pub access_key_secret: String,
    /// Lifetime of issued tokens, unless the `token_ttl_ms` fault overrides it.
    pub token_ttl_secs: u64,
    /// Space-separated scopes the client may request.
    pub granted_scopes: String,
    /// Initial knowledge base.
    pub articles: Vec<SimArticle>,
    /// Items per page of `GET /api/v2/knowledge/articles`.
    pub kb_page_size: usize,
}

impl Default for SimConfig {
    fn default() -> Self {
        Self {
            bind: SocketAddr::from(([127, 0, 0, 1], 0)),
            client_id: "demo-client".to_owned(),
            client_secret: "demo-secret".to_owned(),
            access_key_id: "demo-key".to_owned(),
            access_key_secret: "demo-key-secret".to_owned(),
            token_ttl_secs: 3600,
            granted_scopes: "interactions:read assist:write knowledge:read".to_owned(),
            articles: Vec::new(),
            kb_page_size: 100,
        }
    }
}

impl fmt::Debug for SimConfig {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("SimConfig")
            .field("bind", &self.bind)
            .field("client_id", &self.client_id)
            .field("client_secret", &"[redacted]")
            .field("access_key_id", &self.access_key_id)
            .field("access_key_secret", &"[redacted]")
            .field("token_ttl_secs", &self.token_ttl_secs)
            .field("granted_scopes", &self.granted_scopes)
            .field("articles", &self.articles.len())
            .field("kb_page_size", &self.kb_page_size)
            .finish()
    }
}

/// One knowledge-base article as served by the knowledge endpoint.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct SimArticle {
    /// Stable article id.
    pub id: String,
    /// Article title.
    pub title: String,
    /// Article body text.
    pub content: String,
    /// Last update time as the source file gives it (free-form, usually RFC 3339).
    #[serde(default)]
    pub updated_at: Option<String>,
}

/// One line of a conversation script.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Turn {
    /// Who speaks, e.g. `customer` or `agent`.
    pub speaker: String,
    /// What they say.
    pub text: String,
}

/// A scripted interaction the simulator plays over the events WebSocket.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Conversation {
    /// Interaction id used in the emitted events.
    pub id: String,
    /// Turns in order.
    pub turns: Vec<Turn>,
    /// Ids of the articles a good assistant should suggest (for evaluation).
    #[serde(default)]
    pub relevant: Vec<String>,
}

/// Reads knowledge articles from a JSON Lines file (`{id,title,content,updated_at}`; other keys ignored).
pub fn load_articles(path: impl AsRef<Path>) -> anyhow::Result<Vec<SimArticle>> {
    load_jsonl(path.as_ref())
}

/// Reads scripted conversations from a JSON Lines file (`{id,turns:[{speaker,text}],relevant}`).
pub fn load_conversations(path: impl AsRef<Path>) -> anyhow::Result<Vec<Conversation>> {
    load_jsonl(path.as_ref())
}

fn load_jsonl<T: DeserializeOwned>(path: &Path) -> anyhow::Result<Vec<T>> {
    let text =
        std::fs::read_to_string(path).with_context(|| format!("reading {}", path.display()))?;
    parse_jsonl(&text).with_context(|| format!("parsing {}", path.display()))
}

/// Parses JSON Lines text, skipping blank lines; errors name the 1-based line.
pub fn parse_jsonl<T: DeserializeOwned>(text: &str) -> anyhow::Result<Vec<T>> {
    text.lines()
        .enumerate()
        .filter(|(_, line)| !line.trim().is_empty())
        .map(|(index, line)| {
            serde_json::from_str(line).with_context(|| format!("line {}", index + 1))
        })
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn parses_articles_ignoring_extra_keys_and_blank_lines() {
        let text = "{\"id\":\"a\",\"title\":\"T\",\"content\":\"C\",\"tags\":[1]}\n\n{\"id\":\"b\",\"title\":\"U\",\"content\":\"D\",\"updated_at\":\"2026-01-01\"}\n";
        let articles: Vec<SimArticle> = parse_jsonl(text).unwrap();
        assert_eq!(articles.len(), 2);
        assert_eq!(articles[0].updated_at, None);
        assert_eq!(articles[1].updated_at.as_deref(), Some("2026-01-01"));
    }

    #[test]
    fn reports_the_bad_line() {
        let err = parse_jsonl::<Conversation>("{\"id\":\"c\",\"turns\":[]}\nnot json").unwrap_err();
        assert!(format!("{err:#}").contains("line 2"), "{err:#}");
    }

    #[test]
    fn debug_redacts_secrets() {
        let printed = format!("{:?}", SimConfig::default());
        assert!(!printed.contains("demo-secret"));
        assert!(!printed.contains("demo-key-secret"));
    }
}
