//! People's names are not key phrases: "Hi, this is Olivia" or "my name is Diego Ramos" must not put
//! "olivia" or "diego ramos" into the BM25 query. After an introduction or greeting ("my name is",
//! "name's", "speaking with", "hi", "thanks", and for agents "this is" / "I'm"), up to two
//! capitalised words are dropped.

use super::lexicon::Speaker;
use super::Token;

/// Introductions and greetings any speaker uses before a name.
const INTRODUCTIONS: [&[&str]; 9] = [
    &["my", "name", "is"],
    &["name's"],
    &["speaking", "with"],
    &["speaking", "to"],
    &["hi"],
    &["hello"],
    &["hey"],
    &["thanks"],
    &["thank", "you"],
];

/// Introductions only agents use ("this is Windows 11" from a customer is not a name).
const AGENT_INTRODUCTIONS: [&[&str]; 3] = [&["this", "is"], &["i'm"], &["i", "am"]];

/// Words of a name after an introduction.
const MAX_NAME_WORDS: usize = 2;

/// Replaces introduced names by breaks.
pub(super) fn remove_introduced_names(tokens: &mut [Token], speaker: Speaker) {
    let mut i = 0;
    while i < tokens.len() {
        match introduction_at(tokens, i, speaker) {
            Some(len) => {
                let mut at = i + len;
                while at < tokens.len()
                    && at < i + len + MAX_NAME_WORDS
                    && is_capitalised(&tokens[at])
                {
                    tokens[at] = Token::Break;
                    at += 1;
                }
                i = at.max(i + 1);
            }
            None => i += 1,
        }
    }
}

/// Length of the introduction starting at `i`, if any.
fn introduction_at(tokens: &[Token], i: usize, speaker: Speaker) -> Option<usize> {
    let agent = matches!(speaker, Speaker::Agent);
    INTRODUCTIONS
        .iter()
        .chain(AGENT_INTRODUCTIONS.iter().filter(|_| agent))
        .find(|phrase| {
            phrase.iter().enumerate().all(
                |(k, w)| matches!(tokens.get(i + k), Some(Token::Word(word)) if word.norm == *w),
            )
        })
        .map(|phrase| phrase.len())
}

fn is_capitalised(token: &Token) -> bool {
    match token {
        Token::Word(w) => {
            !w.identifier && w.verbatim.chars().next().is_some_and(char::is_uppercase)
        }
        Token::Break => false,
    }
}
