//! Multi-word key phrases from a live transcript (RAKE-like, recency- and speaker-weighted).
//!
//! 1. Split into turns at speaker labels (`Customer:`, `Agent:`, ... at a line start or inline).
//! 2. Tokenise: words keep internal `-_.'/` (`E-1234`, `0x80070005`, `v2.1`); other punctuation
//!    ends a phrase. Identifiers (a digit plus a letter, or ≥ 4 digits) keep their original case.
//!    A PII redaction placeholder (`[CARD]`, `[SSN]`, ... of [`crate::pii`]) is a break, never a word.
//! 3. Stop-words and call-center filler (`um`, `you know`, `thank you for calling`, `let me check`, ...)
//!    are removed, and so are names after an introduction ("this is Olivia", "my name is Diego",
//!    see `names`); candidates are maximal runs of the remaining words, cut into pieces of ≤ 3 words.
//! 4. RAKE word score = degree / frequency over all candidate occurrences; a phrase's RAKE score is
//!    the sum over its words. Phrase score = Σ over occurrences of (recency × speaker weight) × RAKE
//!    score, where recency = `decay^(turns since the last turn)`; identifiers are also scored alone,
//!    boosted, so an exact code always reaches the query.
//!
//! Pure and deterministic (ties broken by text). The seed's single-token method lives in [`seed`].

mod lexicon;
mod names;
pub mod seed;

use std::collections::{HashMap, HashSet};
use std::sync::OnceLock;

use lexicon::{Speaker, FILLER_PHRASES, SPEAKER_LABELS, STOP_WORDS};

/// A key phrase and its score (higher = more relevant); phrases are lowercase except identifiers.
#[derive(Debug, Clone, PartialEq)]
pub struct KeyPhrase {
    pub text: String,
    pub score: f32,
    /// True when the phrase is (or contains) an identifier such as `E-1234` that should match exactly.
    pub exact: bool,
}

/// Weights of [`extract_keyphrases`].
#[derive(Debug, Clone, PartialEq)]
pub struct KeyPhraseOptions {
    /// How many phrases to return.
    pub top_k: usize,
    /// Longest phrase, in words.
    pub max_words: usize,
    /// Weight multiplier per turn of age (the last turn has age 0).
    pub recency_decay: f32,
    /// Only the most recent turns are read (older ones weigh < decay^max_turns anyway).
    pub max_turns: usize,
    pub customer_weight: f32,
    pub agent_weight: f32,
    /// Weight of text before any speaker label.
    pub unlabelled_weight: f32,
    /// Multiplier for a phrase that is or contains an identifier.
    pub identifier_boost: f32,
}

impl Default for KeyPhraseOptions {
    fn default() -> Self {
        Self {
            top_k: 8,
            max_words: 3,
            recency_decay: 0.8,
            max_turns: 40,
            customer_weight: 1.0,
            agent_weight: 0.6,
            unlabelled_weight: 1.0,
            identifier_boost: 2.0,
        }
    }
}

/// The top `options.top_k` key phrases of `transcript`, best first. Empty input gives an empty list.
pub fn extract_keyphrases(transcript: &str, options: &KeyPhraseOptions) -> Vec<KeyPhrase> {
    let turns = split_turns(transcript);
    let first = turns.len().saturating_sub(options.max_turns.max(1));
    let recent = &turns[first..];
    let mut occurrences = Vec::new();
    for (index, turn) in recent.iter().enumerate() {
        let age = (recent.len() - 1 - index) as i32;
        let weight = options.recency_decay.powi(age) * speaker_weight(turn.speaker, options);
        for candidate in candidates(&turn.tokens, options.max_words.max(1)) {
            occurrences.push(Occurrence { candidate, weight });
        }
    }
    rank(&occurrences, options)
}

/// Text for a BM25 query: the phrases joined by spaces, best first.
pub fn query_text(phrases: &[KeyPhrase]) -> String {
    phrases
        .iter()
        .map(|p| p.text.as_str())
        .collect::<Vec<_>>()
        .join(" ")
}

fn speaker_weight(speaker: Speaker, options: &KeyPhraseOptions) -> f32 {
    match speaker {
        Speaker::Customer => options.customer_weight,
        Speaker::Agent => options.agent_weight,
        Speaker::Unknown => options.unlabelled_weight,
    }
}

/// One word of the transcript.
#[derive(Debug, Clone)]
struct Word {
    /// Lowercased, apostrophes normalised.
    norm: String,
    /// As written (apostrophes normalised); shown for identifiers.
    verbatim: String,
    identifier: bool,
    content: bool,
}

#[derive(Debug, Clone)]
enum Token {
    Word(Word),
    /// Punctuation or a removed filler phrase: phrases never span it.
    Break,
}

struct Turn {
    speaker: Speaker,
    tokens: Vec<Token>,
}

/// A candidate phrase: consecutive content words.
#[derive(Debug, Clone)]
struct Candidate {
    words: Vec<Word>,
}

struct Occurrence {
    candidate: Candidate,
    weight: f32,
}

fn stop_words() -> &'static HashSet<&'static str> {
    static SET: OnceLock<HashSet<&'static str>> = OnceLock::new();
    SET.get_or_init(|| STOP_WORDS.iter().copied().collect())
}

fn speaker_label(word: &str) -> Option<Speaker> {
    SPEAKER_LABELS
        .iter()
        .find(|(label, _)| label.eq_ignore_ascii_case(word))
        .map(|(_, speaker)| *speaker)
}

fn is_joiner(c: char) -> bool {
    matches!(c, '-' | '_' | '.' | '\'' | '\u{2019}' | '/')
}

/// Splits into turns; a word directly followed by `:` that is a speaker label starts a new turn.
fn split_turns(text: &str) -> Vec<Turn> {
    let chars: Vec<char> = text.chars().collect();
    let mut turns = vec![Turn {
        speaker: Speaker::Unknown,
        tokens: Vec::new(),
    }];
    let mut i = 0;
    while i < chars.len() {
        let c = chars[i];
        if let Some(len) = redaction_token_at(&chars[i..]) {
            if let Some(turn) = turns.last_mut() {
                turn.tokens.push(Token::Break);
            }
            i += len;
            continue;
        }
        if c.is_alphanumeric() {
            let start = i;
            while i < chars.len()
                && (chars[i].is_alphanumeric()
                    || (is_joiner(chars[i])
                        && chars.get(i + 1).is_some_and(|n| n.is_alphanumeric())))
            {
                i += 1;
            }
            let raw: String = chars[start..i].iter().collect();
            let label = (chars.get(i) == Some(&':'))
                .then(|| speaker_label(&raw))
                .flatten();
            if let Some(speaker) = label {
                i += 1;
                turns.push(Turn {
                    speaker,
                    tokens: Vec::new(),
                });
            } else if let Some(turn) = turns.last_mut() {
                turn.tokens.push(Token::Word(classify(&raw)));
            }
            continue;
        }
        if !c.is_whitespace() {
            if let Some(turn) = turns.last_mut() {
                turn.tokens.push(Token::Break);
            }
        }
        i += 1;
    }
    turns.retain(|t| t.tokens.iter().any(|tok| matches!(tok, Token::Word(_))));
    for turn in &mut turns {
        names::remove_introduced_names(&mut turn.tokens, turn.speaker);
        remove_filler(&mut turn.tokens);
    }
    turns
}

/// Length in chars of the PII redaction placeholder (`[CARD]`, see [`crate::pii::TOKENS`]) at the start of
/// `chars`: a placeholder is a break, so it neither becomes a key phrase nor joins the words around it.
fn redaction_token_at(chars: &[char]) -> Option<usize> {
    if chars.first() != Some(&'[') {
        return None;
    }
    crate::pii::TOKENS
        .iter()
        .find(|token| {
            let mut at = chars.iter();
            token.chars().all(|t| at.next() == Some(&t))
        })
        .map(|token| token.chars().count())
}

fn classify(raw: &str) -> Word {
    let verbatim = raw.replace('\u{2019}', "'");
    let digits = verbatim.chars().filter(char::is_ascii_digit).count();
    let letters = verbatim.chars().filter(|c| c.is_alphabetic()).count();
    let identifier = digits > 0 && (letters > 0 || digits >= 4);
    let mut norm = verbatim.to_lowercase();
    if !identifier && norm.ends_with("'s") && !stop_words().contains(norm.as_str()) {
        norm.truncate(norm.len() - 2);
    }
    let content = identifier
        || (letters > 0 && norm.chars().count() > 1 && !stop_words().contains(norm.as_str()));
    Word {
        norm,
        verbatim,
        identifier,
        content,
    }
}

/// Replaces every filler phrase (a run of words matching an entry of [`FILLER_PHRASES`]) by breaks.
fn remove_filler(tokens: &mut [Token]) {
    let norm_at = |tokens: &[Token], i: usize| match tokens.get(i) {
        Some(Token::Word(w)) => Some(w.norm.clone()),
        _ => None,
    };
    let mut i = 0;
    while i < tokens.len() {
        let matched = FILLER_PHRASES.iter().find(|phrase| {
            phrase
                .iter()
                .enumerate()
                .all(|(k, w)| norm_at(tokens, i + k).as_deref() == Some(*w))
        });
        match matched {
            Some(phrase) => {
                for token in &mut tokens[i..i + phrase.len()] {
                    *token = Token::Break;
                }
                i += phrase.len();
            }
            None => i += 1,
        }
    }
}

/// Maximal runs of content words, cut into consecutive pieces of at most `max_words`.
fn candidates(tokens: &[Token], max_words: usize) -> Vec<Candidate> {
    let mut out = Vec::new();
    let mut run: Vec<Word> = Vec::new();
    let mut flush = |run: &mut Vec<Word>| {
        for piece in run.chunks(max_words) {
            out.push(Candidate {
                words: piece.to_vec(),
            });
        }
        run.clear();
    };
    for token in tokens {
        match token {
            Token::Word(w) if w.content => run.push(w.clone()),
            _ => flush(&mut run),
        }
    }
    flush(&mut run);
    out
}

impl Candidate {
    fn key(&self) -> String {
        join(self.words.iter().map(|w| w.norm.as_str()))
    }

    fn display(&self) -> String {
        join(self.words.iter().map(|w| {
            if w.identifier {
                w.verbatim.as_str()
            } else {
                w.norm.as_str()
            }
        }))
    }
}

fn join<'a>(parts: impl Iterator<Item = &'a str>) -> String {
    parts.collect::<Vec<_>>().join(" ")
}

/// Accumulated score of one distinct phrase.
struct Scored {
    display: String,
    score: f32,
    exact: bool,
}

fn rank(occurrences: &[Occurrence], options: &KeyPhraseOptions) -> Vec<KeyPhrase> {
    let word_scores = rake_word_scores(occurrences);
    let word_score = |w: &Word| word_scores.get(w.norm.as_str()).copied().unwrap_or(0.0);
    let mut phrases: HashMap<String, Scored> = HashMap::new();
    let mut add = |key: String, display: String, score: f32, exact: bool| {
        let entry = phrases.entry(key).or_insert(Scored {
            display: String::new(),
            score: 0.0,
            exact,
        });
        entry.display = display; // occurrences are in turn order: the latest spelling wins
        entry.score += score;
    };
    for occ in occurrences {
        let words = &occ.candidate.words;
        let exact = words.iter().any(|w| w.identifier);
        let boost = if exact { options.identifier_boost } else { 1.0 };
        let rake: f32 = words.iter().map(word_score).sum();
        add(
            occ.candidate.key(),
            occ.candidate.display(),
            occ.weight * rake * boost,
            exact,
        );
        if words.len() > 1 {
            for id in words.iter().filter(|w| w.identifier) {
                let score = occ.weight * word_score(id) * options.identifier_boost;
                add(id.norm.clone(), id.verbatim.clone(), score, true);
            }
        }
    }
    let mut ranked: Vec<(String, Scored)> = phrases.into_iter().collect();
    ranked.sort_by(|(ka, a), (kb, b)| b.score.total_cmp(&a.score).then_with(|| ka.cmp(kb)));
    ranked
        .into_iter()
        .take(options.top_k)
        .map(|(_, s)| KeyPhrase {
            text: s.display,
            score: s.score,
            exact: s.exact,
        })
        .collect()
}

/// RAKE: degree(w) / frequency(w), counted over every candidate occurrence.
fn rake_word_scores(occurrences: &[Occurrence]) -> HashMap<&str, f32> {
    let mut frequency: HashMap<&str, f32> = HashMap::new();
    let mut degree: HashMap<&str, f32> = HashMap::new();
    for occ in occurrences {
        let len = occ.candidate.words.len() as f32;
        for w in &occ.candidate.words {
            *frequency.entry(w.norm.as_str()).or_default() += 1.0;
            *degree.entry(w.norm.as_str()).or_default() += len;
        }
    }
    frequency
        .into_iter()
        .map(|(w, f)| (w, degree.get(w).copied().unwrap_or(0.0) / f))
        .collect()
}
