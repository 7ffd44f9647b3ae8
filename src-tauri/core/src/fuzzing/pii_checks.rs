//! Invariants of [`redact`]: no stand-alone Luhn-valid card number or valid SSN survives, no digit is invented,
//! and text without anything number- or address-like passes unchanged (address-like: an `@`, or the word `at`
//! of a spoken address such as `john at example dot com`).

use super::{ensure, CheckResult, Violation};
use crate::pii::{luhn_valid, redact};

/// Redaction of arbitrary text.
pub fn check_redact(data: &[u8]) -> CheckResult {
    let text = String::from_utf8_lossy(data);
    let out = redact(&text);
    let ascii_digits = |s: &str| s.bytes().filter(u8::is_ascii_digit).count();
    ensure(ascii_digits(&out) <= ascii_digits(&text), || {
        format!("digits invented: {out:?}")
    })?;
    let spoken_at = text
        .split(|c: char| !c.is_alphanumeric())
        .any(|w| w.eq_ignore_ascii_case("at"));
    if !spoken_at && !text.chars().any(|c| c.is_numeric() || c == '@') {
        ensure(out == text, || format!("plain text changed into {out:?}"))?;
    }
    for segment in out.split(|c: char| c.is_whitespace() && c != ' ') {
        let tokens: Vec<Token<'_>> = segment.split(' ').map(Token::new).collect();
        ensure_no_card(&tokens)?;
        for token in &tokens {
            ensure(!token.is_ssn(), || format!("SSN left: {:?}", token.core))?;
        }
    }
    Ok(())
}

/// A space-separated word with sentence punctuation peeled off.
struct Token<'a> {
    core: &'a str,
    opens_with_punctuation: bool,
    closes_with_punctuation: bool,
}

impl<'a> Token<'a> {
    fn new(word: &'a str) -> Self {
        let start = word.trim_start_matches(['(', '[', '"', '\'']);
        let core = start.trim_end_matches(['.', ',', ';', ':', '!', '?', ')', ']', '"', '\'']);
        Token {
            core,
            opens_with_punctuation: start.len() != word.len(),
            closes_with_punctuation: core.len() != start.len(),
        }
    }

    /// Digit groups joined by single dashes (`4111-1111`, `4111`).
    fn digit_groups(&self) -> Option<Vec<u8>> {
        let well_formed = !self.core.is_empty()
            && self
                .core
                .split('-')
                .all(|g| !g.is_empty() && g.bytes().all(|b| b.is_ascii_digit()));
        well_formed.then(|| {
            self.core
                .bytes()
                .filter(u8::is_ascii_digit)
                .map(|b| b - b'0')
                .collect()
        })
    }

    fn is_ssn(&self) -> bool {
        let parts: Vec<&str> = self.core.split('-').collect();
        let shaped = parts.len() == 3
            && [3, 2, 4]
                .iter()
                .zip(&parts)
                .all(|(n, p)| p.len() == *n && p.bytes().all(|b| b.is_ascii_digit()));
        shaped
            && parts[0] != "000"
            && parts[0] != "666"
            && !parts[0].starts_with('9')
            && parts[1] != "00"
            && parts[2] != "0000"
    }
}

/// No run of consecutive digit tokens holds a 13–19 digit, issuer 2–6, Luhn-valid number at token boundaries.
fn ensure_no_card(tokens: &[Token<'_>]) -> CheckResult {
    let mut start = 0;
    while start < tokens.len() {
        let mut groups: Vec<Vec<u8>> = Vec::new();
        let mut end = start;
        while let Some(digits) = tokens.get(end).and_then(Token::digit_groups) {
            if end > start && tokens[end].opens_with_punctuation {
                break;
            }
            groups.push(digits);
            end += 1;
            if tokens[end - 1].closes_with_punctuation {
                break;
            }
        }
        for first in 0..groups.len() {
            let mut digits: Vec<u8> = Vec::new();
            for group in &groups[first..] {
                digits.extend(group);
                let card = (13..=19).contains(&digits.len())
                    && matches!(digits[0], 2..=6)
                    && luhn_valid(&digits);
                if card {
                    return Err(Violation(format!("card number left: {digits:?}")));
                }
            }
        }
        start = end.max(start + 1);
    }
    Ok(())
}
