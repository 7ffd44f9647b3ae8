//! Plain data shared by every stage: articles, interaction events, scores, cards.
//!
//! Nothing here does I/O; the types are what flows over the pipeline's channels.

use serde::{Deserialize, Serialize};

/// Stable identifier of a knowledge-base article (the source's id, never a position).
pub type ArticleId = String;

/// A knowledge-base article as the retrieval engine sees it.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Article {
    /// The source's own id (stable across syncs).
    pub id: ArticleId,
    pub title: String,
    /// Plain text used for indexing and snippets (HTML already converted).
    pub content: String,
    /// Link to the article in the tenant's KB, when the source gives one.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub url: Option<String>,
    /// Last modification time as sent by the source (RFC 3339), if known.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub updated_at: Option<String>,
}

/// What the interactions stream told us, after parsing.
#[derive(Debug, Clone, PartialEq)]
pub enum InteractionEvent {
    /// An active interaction with its current transcript (all channels).
    Active(ActiveInteraction),
    /// The interaction left the `active` state (ended, transferred, ...).
    Ended {
        interaction_id: String,
        state: String,
    },
}

/// An active interaction and its transcript, one entry per channel that carried one.
#[derive(Debug, Clone, PartialEq)]
pub struct ActiveInteraction {
    pub interaction_id: String,
    /// Transcript text per channel, in the order the event listed the channels.
    pub channels: Vec<String>,
}

impl ActiveInteraction {
    /// All channels' transcripts joined by a newline, as the seed concatenates them.
    pub fn transcript(&self) -> String {
        self.channels
            .iter()
            .map(|c| c.trim())
            .filter(|c| !c.is_empty())
            .collect::<Vec<_>>()
            .join("\n")
    }
}

/// Why an article was suggested: every leg's score travels with the result.
#[derive(Debug, Clone, Copy, PartialEq, Default, Serialize, Deserialize)]
pub struct LegScores {
    /// True cosine similarity between the query and the article, in [-1, 1].
    pub dense: f32,
    /// Raw BM25 score over the whole KB.
    pub bm25: f32,
    /// BM25 divided by the best BM25 score of this query, in [0, 1].
    pub bm25_norm: f32,
    /// Bonus for exact identifiers (error codes, plan names, order numbers) found in both.
    pub exact: f32,
    /// The fused score used for ranking.
    pub fused: f32,
}

/// One ranked retrieval result.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct RankedArticle {
    pub article_id: ArticleId,
    pub scores: LegScores,
    /// Other articles with the same title and text (a KB's duplicates), collapsed into this one.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub also_in: Vec<ArticleId>,
}

/// The identity of an article's text for duplicate detection: title and content, case-folded, with every run of
/// whitespace made one space. Two articles with the same key would give the agent the same card.
pub fn duplicate_key(title: &str, content: &str) -> String {
    let mut key = String::with_capacity(title.len() + content.len() + 1);
    for (i, part) in [title, content].into_iter().enumerate() {
        if i > 0 {
            key.push('\u{1f}');
        }
        for (j, word) in part.split_whitespace().enumerate() {
            if j > 0 {
                key.push(' ');
            }
            key.extend(word.chars().flat_map(char::to_lowercase));
        }
    }
    key
}

/// The card payload the Assist API receives (the seed's shape).
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct CardContent {
    pub title: String,
    pub body: String,
    pub score: f32,
}

impl CardContent {
    /// The seed's body format: bold article title, newline, the first 200 characters of the content.
    pub fn from_article(article: &Article, score: f32) -> Self {
        let snippet: String = article.content.chars().take(200).collect();
        let ellipsis = if article.content.chars().count() > 200 {
            "..."
        } else {
            ""
        };
        Self {
            title: article.title.clone(),
            body: format!("**{}**\n{}{}", article.title, snippet, ellipsis),
            score,
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn card_body_is_bold_title_and_200_char_snippet() {
        let article = Article {
            id: "KB-1".into(),
            title: "Reset a password".into(),
            content: "é".repeat(250),
            url: None,
            updated_at: None,
        };
        let card = CardContent::from_article(&article, 0.5);
        assert!(card.body.starts_with("**Reset a password**\n"));
        assert_eq!(card.body.chars().filter(|c| *c == 'é').count(), 200);
        assert!(card.body.ends_with("..."));
    }

    #[test]
    fn duplicate_key_ignores_case_and_spacing_only() {
        let key = duplicate_key("Reset  a Password", "Open settings.\n Tap reset.");
        assert_eq!(
            key,
            duplicate_key("reset a password", "open   settings. tap RESET.")
        );
        assert_ne!(
            key,
            duplicate_key("Reset a password", "Open settings. Tap reset!")
        );
        assert_ne!(
            duplicate_key("a b", "c"),
            duplicate_key("a", "b c"),
            "title and text are kept apart"
        );
    }

    #[test]
    fn transcript_joins_non_empty_channels() {
        let a = ActiveInteraction {
            interaction_id: "i".into(),
            channels: vec!["hello ".into(), "  ".into(), "world".into()],
        };
        assert_eq!(a.transcript(), "hello\nworld");
    }
}
