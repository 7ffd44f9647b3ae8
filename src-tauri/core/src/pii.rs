//! PII redaction for transcripts before they are logged, stored in the audit trail or shown
//! outside the current interaction.
//!
//! [`redact`] replaces, in this order:
//! - e-mail addresses → `[EMAIL]`;
//! - phone numbers in `+` (E.164 / international) form → `[PHONE]`;
//! - payment card numbers (13–19 digits, optionally grouped by spaces or dashes, first digit 2–6, found anywhere
//!   inside a longer run of digit groups,
//!   **Luhn-valid only**) → `[CARD]`;
//! - US social security numbers `###-##-####` (area not 000/666/9xx, group not 00, serial not 0000) → `[SSN]`;
//! - North American phone numbers `(xxx) xxx-xxxx`, `xxx-xxx-xxxx`, `xxx.xxx.xxxx` (NANP rules:
//!   area code and exchange start with 2–9) → `[PHONE]`.
//!
//! Every number-like match must stand alone: a match glued to letters, digits or identifier
//! punctuation (`ORD-123-45-6789`, `v1.202.555.0143`) is left untouched, which keeps order numbers,
//! versions, error codes and dates readable. Matching uses the `regex` crate (finite automata, linear
//! time, no backtracking blow-ups); validation runs only on candidates.

use std::borrow::Cow;
use std::sync::OnceLock;

use regex::{Match, Regex};

/// Replacement token for payment card numbers.
pub const CARD_TOKEN: &str = "[CARD]";
/// Replacement token for US social security numbers.
pub const SSN_TOKEN: &str = "[SSN]";
/// Replacement token for e-mail addresses.
pub const EMAIL_TOKEN: &str = "[EMAIL]";
/// Replacement token for phone numbers.
pub const PHONE_TOKEN: &str = "[PHONE]";
/// Every replacement token [`redact`] writes (key phrases treat them as breaks, never as words).
pub const TOKENS: &[&str] = &[CARD_TOKEN, SSN_TOKEN, EMAIL_TOKEN, PHONE_TOKEN];

struct Patterns {
    email: Regex,
    plus_phone: Regex,
    card_run: Regex,
    ssn: Regex,
    na_phone: Regex,
}

fn patterns() -> &'static Patterns {
    static PATTERNS: OnceLock<Patterns> = OnceLock::new();
    PATTERNS.get_or_init(|| Patterns {
        email: compile(r"[A-Za-z0-9._%+\-]+@[A-Za-z0-9\-]+(?:\.[A-Za-z0-9\-]+)*\.[A-Za-z]{2,}"),
        plus_phone: compile(r"\+\d{1,3}(?:[ .\-]?(?:\(\d{1,4}\)|\d{1,4})){1,7}"),
        card_run: compile(r"\b[0-9]+(?:[ \-][0-9]+)*\b"),
        ssn: compile(r"\b[0-9]{3}-[0-9]{2}-[0-9]{4}\b"),
        na_phone: compile(
            r"(?:\+?1[ .\-]?)?(?:\([2-9]\d{2}\) ?|\b[2-9]\d{2}[.\-])[2-9]\d{2}[.\-]\d{4}\b",
        ),
    })
}

/// The patterns are constants checked by the unit tests; a failure here is a programming error.
fn compile(pattern: &str) -> Regex {
    #[allow(clippy::expect_used)]
    Regex::new(pattern).expect("PII pattern is a valid constant regex")
}

/// Redacts payment cards, SSNs, e-mails and phone numbers; borrows the input when nothing matched.
pub fn redact(text: &str) -> Cow<'_, str> {
    let p = patterns();
    let text = replace_accepted(Cow::Borrowed(text), &p.email, EMAIL_TOKEN, |_, _| true);
    let text = replace_accepted(text, &p.plus_phone, PHONE_TOKEN, is_international_phone);
    let text = replace_cards(text, &p.card_run);
    let text = replace_accepted(text, &p.ssn, SSN_TOKEN, is_ssn);
    replace_accepted(text, &p.na_phone, PHONE_TOKEN, standalone)
}

/// Replaces every match of `re` that `accept(haystack, match)` approves by `token`.
fn replace_accepted<'a>(
    text: Cow<'a, str>,
    re: &Regex,
    token: &str,
    accept: impl Fn(&str, &Match<'_>) -> bool,
) -> Cow<'a, str> {
    let spans: Vec<(usize, usize)> = re
        .find_iter(&text)
        .filter(|m| accept(&text, m))
        .map(|m| (m.start(), m.end()))
        .collect();
    replace_spans(text, &spans, token)
}

/// Replaces card numbers: within each run of digit groups (single space or dash between groups), the longest
/// group-aligned stretch of 13–19 digits starting at each group that passes [`is_card_span`], left to right.
/// A run longer than one card (`4111 1111 1111 1111 123`, a CVV after the number) still has its card found.
fn replace_cards<'a>(text: Cow<'a, str>, card_run: &Regex) -> Cow<'a, str> {
    let spans: Vec<(usize, usize)> = card_run
        .find_iter(&text)
        .flat_map(|run| card_spans(&text, &run))
        .collect();
    replace_spans(text, &spans, CARD_TOKEN)
}

/// `text` with each (start, end) byte span, in order and not overlapping, replaced by `token`; borrowed when none.
fn replace_spans<'a>(text: Cow<'a, str>, spans: &[(usize, usize)], token: &str) -> Cow<'a, str> {
    if spans.is_empty() {
        return text;
    }
    let mut out = String::with_capacity(text.len());
    let mut copied_up_to = 0;
    for &(start, end) in spans {
        out.push_str(&text[copied_up_to..start]);
        out.push_str(token);
        copied_up_to = end;
    }
    out.push_str(&text[copied_up_to..]);
    Cow::Owned(out)
}

/// Byte spans of the card numbers inside one run of digit groups.
fn card_spans(hay: &str, run: &Match<'_>) -> Vec<(usize, usize)> {
    let groups: Vec<(usize, usize)> = run
        .as_str()
        .split([' ', '-'])
        .scan(run.start(), |at, group| {
            let span = (*at, *at + group.len());
            *at += group.len() + 1;
            Some(span)
        })
        .collect();
    let mut spans = Vec::new();
    let mut first = 0;
    while first < groups.len() {
        let mut found = None;
        for last in first..groups.len() {
            let (start, end) = (groups[first].0, groups[last].1);
            if digits(&hay[start..end]).len() > 19 {
                break;
            }
            if is_card_span(hay, start, end) {
                found = Some(last);
            }
        }
        match found {
            Some(last) => {
                spans.push((groups[first].0, groups[last].1));
                first = last + 1;
            }
            None => first += 1,
        }
    }
    spans
}

/// True when the match is not glued to an identifier: the character before is not alphanumeric
/// or identifier punctuation, and the one after is neither (a sentence-ending `.` is fine).
fn standalone(hay: &str, m: &Match<'_>) -> bool {
    standalone_span(hay, m.start(), m.end())
}

fn standalone_span(hay: &str, start: usize, end: usize) -> bool {
    let glue = |c: char| c.is_alphanumeric() || matches!(c, '-' | '_' | '/' | '\\' | '+' | '@');
    let before = hay[..start].chars().next_back();
    let mut after = hay[end..].chars();
    let next = after.next();
    let next_next = after.next();
    let before_ok = !before.is_some_and(|c| glue(c) || c == '.');
    let after_ok = match next {
        None => true,
        Some('.') | Some(',') | Some(':') => !next_next.is_some_and(|c| c.is_ascii_digit()),
        Some(c) => !glue(c),
    };
    before_ok && after_ok
}

fn digits(s: &str) -> Vec<u8> {
    s.bytes()
        .filter(u8::is_ascii_digit)
        .map(|b| b - b'0')
        .collect()
}

fn is_international_phone(hay: &str, m: &Match<'_>) -> bool {
    let count = digits(m.as_str()).len();
    (8..=15).contains(&count) && standalone(hay, m)
}

fn is_card_span(hay: &str, start: usize, end: usize) -> bool {
    let d = digits(&hay[start..end]);
    let plausible_issuer = matches!(d.first(), Some(2..=6));
    (13..=19).contains(&d.len())
        && plausible_issuer
        && luhn_valid(&d)
        && standalone_span(hay, start, end)
}

/// The Luhn (mod 10) check used by payment card numbers; `digits` are values 0–9.
pub fn luhn_valid(digits: &[u8]) -> bool {
    if digits.is_empty() {
        return false;
    }
    let sum: u32 = digits
        .iter()
        .rev()
        .enumerate()
        .map(|(i, &d)| {
            let d = u32::from(d);
            if i % 2 == 1 {
                let doubled = d * 2;
                if doubled > 9 {
                    doubled - 9
                } else {
                    doubled
                }
            } else {
                d
            }
        })
        .sum();
    sum.checked_rem(10) == Some(0)
}

fn is_ssn(hay: &str, m: &Match<'_>) -> bool {
    let s = m.as_str();
    let (area, group, serial) = (&s[0..3], &s[4..6], &s[7..11]);
    let valid = area != "000"
        && area != "666"
        && !area.starts_with('9')
        && group != "00"
        && serial != "0000";
    valid && standalone(hay, m)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn patterns_compile() {
        let _ = patterns();
    }

    #[test]
    fn nothing_to_redact_borrows() {
        assert!(matches!(redact("my order is late"), Cow::Borrowed(_)));
    }

    #[test]
    fn luhn_known_values() {
        assert!(luhn_valid(&digits("4111111111111111")));
        assert!(luhn_valid(&digits("79927398713")));
        assert!(!luhn_valid(&digits("4111111111111112")));
        assert!(!luhn_valid(&[]));
    }

    #[test]
    fn mixed_sentence() {
        let out = redact(
            "Card 4111 1111 1111 1111, ssn 123-45-6789, mail a.b@c.io, call (415) 555-0132.",
        );
        assert_eq!(out, "Card [CARD], ssn [SSN], mail [EMAIL], call [PHONE].");
    }

    #[test]
    fn a_card_inside_a_longer_digit_run_is_found() {
        // Fuzz finds: the greedy 19-digit candidate failed Luhn and hid the card inside it.
        assert_eq!(redact("4111 1111 1111 1111 123"), "[CARD] 123");
        assert_eq!(redact("press 5 4111 1111 1111 1111"), "press 5 [CARD]");
        assert_eq!(redact("41111111111111115"), "41111111111111115");
    }

    #[test]
    fn non_ascii_digits_do_not_break_matching() {
        let arabic_indic = "\u{663}\u{663}\u{663}-45-6789";
        assert_eq!(redact(arabic_indic), arabic_indic);
    }

    #[test]
    fn identifiers_next_to_numbers_are_kept() {
        assert_eq!(redact("ORD-123-45-6789"), "ORD-123-45-6789");
        assert_eq!(redact("v415.555.0132"), "v415.555.0132");
    }
}
