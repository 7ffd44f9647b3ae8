//! JSONL readers for the evaluation set: articles `{id,title,content}` and queries `{qid,transcript,relevant:[ids]}`.
//! Extra fields are ignored; a malformed line is reported with its 1-based line number.

use std::path::Path;

use serde::de::DeserializeOwned;
use serde::Deserialize;

use crate::domain::Article;
use crate::eval::EvalError;

/// One evaluation query.
#[derive(Debug, Clone, PartialEq, Deserialize)]
pub struct EvalQuery {
    pub qid: String,
    pub transcript: String,
    pub relevant: Vec<String>,
}

#[derive(Deserialize)]
struct KbLine {
    id: String,
    title: String,
    content: String,
}

/// Reads the KB file.
pub fn read_kb(path: &Path) -> Result<Vec<Article>, EvalError> {
    let lines: Vec<KbLine> = read_jsonl(path)?;
    Ok(lines
        .into_iter()
        .map(|l| Article {
            id: l.id,
            title: l.title,
            content: l.content,
            url: None,
            updated_at: None,
        })
        .collect())
}

/// Reads the queries file.
pub fn read_queries(path: &Path) -> Result<Vec<EvalQuery>, EvalError> {
    read_jsonl(path)
}

/// Parses every non-blank line of `path` as `T`.
pub fn read_jsonl<T: DeserializeOwned>(path: &Path) -> Result<Vec<T>, EvalError> {
    let text = std::fs::read_to_string(path).map_err(|source| EvalError::Read {
        path: path.display().to_string(),
        source,
    })?;
    parse_jsonl(&text, &path.display().to_string())
}

/// Parses JSONL text; `origin` names the file in errors.
pub fn parse_jsonl<T: DeserializeOwned>(text: &str, origin: &str) -> Result<Vec<T>, EvalError> {
    text.lines()
        .enumerate()
        .filter(|(_, line)| !line.trim().is_empty())
        .map(|(index, line)| {
            serde_json::from_str(line).map_err(|e| EvalError::Malformed {
                file: origin.to_string(),
                line: index + 1,
                reason: e.to_string(),
            })
        })
        .collect()
}
