//! PII redaction for transcripts before they are logged, stored in the audit trail or shown
//! outside the current interaction.
//!
//! [`redact`] replaces, in this order:
//! - e-mail addresses → `[EMAIL]`, also spoken ones as speech-to-text writes them: `john at example dot com`,
//!   `john dot smith at example dot co dot uk`, `jane at mail.example.org` (the last label must be a common
//!   top-level domain; `look at the dot com bubble` is kept: a domain starting with an article is not one);
//! - phone numbers in `+` (E.164 / international) form → `[PHONE]`;
//! - IBANs (ISO 13616: country code of the IBAN registry with that country's length, **mod-97 check**), compact
//!   or in groups, any case → `[IBAN]`;
//! - payment card numbers (13–19 digits, first digit 2–6, found anywhere inside a longer run of digit groups,
//!   **Luhn-valid only**) → `[CARD]`;
//! - US social security numbers `###-##-####`, `### ## ####` (area not 000/666/9xx, group not 00, serial not
//!   0000) → `[SSN]`;
//! - North American phone numbers `(xxx) xxx-xxxx`, `xxx-xxx-xxxx`, `xxx.xxx.xxxx`, `xxx xxx xxxx` (NANP rules:
//!   area code and exchange start with 2–9) → `[PHONE]`.
//!
//! Digit groups may be separated as speech-to-text and copy-paste write them: a space, a no-break space
//! (U+00A0, U+202F), a dash or (cards) a dot, also a dash with spaces around it (`4111 - 1111 - ...`). Order
//! numbers, tickets and models (`order 12345678`, `ticket 4521`, `model X200`) are not PII and stay; so does a
//! date read out in groups (`2024 05 12`): it is neither SSN- (3-2-4) nor phone-shaped (3-3-4), says nothing
//! about the caller, and keeping it readable helps the agent more than redacting it would.
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
/// Replacement token for international bank account numbers.
pub const IBAN_TOKEN: &str = "[IBAN]";
/// Every replacement token [`redact`] writes (key phrases treat them as breaks, never as words).
pub const TOKENS: &[&str] = &[CARD_TOKEN, SSN_TOKEN, EMAIL_TOKEN, PHONE_TOKEN, IBAN_TOKEN];

/// Spaces between digit groups: ASCII space, no-break space, narrow no-break space.
const SPACE: &str = r"[ \u{A0}\u{202F}]";

/// Country codes of the IBAN registry (SWIFT, ISO 13616) and each country's IBAN length.
#[rustfmt::skip]
const IBAN_COUNTRIES: &[(&str, usize)] = &[
    ("AD", 24), ("AE", 23), ("AL", 28), ("AT", 20), ("AZ", 28), ("BA", 20), ("BE", 16), ("BG", 22),
    ("BH", 22), ("BI", 27), ("BR", 29), ("BY", 28), ("CH", 21), ("CR", 22), ("CY", 28), ("CZ", 24),
    ("DE", 22), ("DJ", 27), ("DK", 18), ("DO", 28), ("EE", 20), ("EG", 29), ("ES", 24), ("FI", 18),
    ("FK", 18), ("FO", 18), ("FR", 27), ("GB", 22), ("GE", 22), ("GI", 23), ("GL", 18), ("GR", 27),
    ("GT", 28), ("HR", 21), ("HU", 28), ("IE", 22), ("IL", 23), ("IQ", 23), ("IS", 26), ("IT", 27),
    ("JO", 30), ("KW", 30), ("KZ", 20), ("LB", 28), ("LC", 32), ("LI", 21), ("LT", 20), ("LU", 20),
    ("LV", 21), ("LY", 25), ("MC", 27), ("MD", 24), ("ME", 22), ("MK", 19), ("MN", 20), ("MR", 27),
    ("MT", 31), ("MU", 30), ("NI", 28), ("NL", 18), ("NO", 15), ("OM", 23), ("PK", 24), ("PL", 28),
    ("PS", 29), ("PT", 25), ("QA", 29), ("RO", 24), ("RS", 22), ("RU", 33), ("SA", 24), ("SC", 31),
    ("SD", 18), ("SE", 24), ("SI", 19), ("SK", 24), ("SM", 27), ("SO", 23), ("ST", 25), ("SV", 28),
    ("TL", 23), ("TN", 24), ("TR", 26), ("UA", 29), ("VA", 22), ("VG", 24), ("XK", 20), ("YE", 30),
];

/// Top-level domains a spoken e-mail address may end with (a written one may end with any).
const SPOKEN_TLDS: &str = "com|net|org|edu|gov|mil|int|info|biz|io|co|me|ai|app|dev|uk|us|ca|au|nz|ie|de|fr|es|it|nl|be|ch|at|se|no|dk|fi|pl|pt|in|jp|cn|br|mx";

/// Words that start a phrase, not a domain: `look at the dot com bubble` is not an address.
const NOT_A_DOMAIN: &[&str] = &[
    "the", "a", "an", "my", "your", "our", "their", "his", "her", "its", "this", "that", "least",
];

struct Patterns {
    email: Regex,
    spoken_email: Regex,
    plus_phone: Regex,
    iban_run: Regex,
    alnum_group: Regex,
    card_run: Regex,
    digit_group: Regex,
    ssn: Regex,
    na_phone: Regex,
}

fn patterns() -> &'static Patterns {
    static PATTERNS: OnceLock<Patterns> = OnceLock::new();
    PATTERNS.get_or_init(|| {
        let sp = SPACE;
        // Between card digit groups: spaces, or a dash or dot with optional spaces around it.
        let card_sep = format!(r"(?:{sp}*[\-.]{sp}*|{sp}+)");
        // Between SSN / phone groups: one dash or dot (phones), or one space of any kind.
        let ssn_sep = format!(r"(?:-|{sp})");
        let phone_sep = format!(r"(?:[.\-]|{sp})");
        // Between spoken words: spaces or tabs, never a line break (that is the next turn).
        let words = r"[ \t\u{A0}\u{202F}]+";
        let dot = format!(r"(?:{words}(?i:dot){words}|\.)");
        let label = r"[A-Za-z0-9\-]+";
        let local = r"[A-Za-z0-9_%+\-]+";
        Patterns {
            email: compile(r"[A-Za-z0-9._%+\-]+@[A-Za-z0-9\-]+(?:\.[A-Za-z0-9\-]+)*\.[A-Za-z]{2,}"),
            spoken_email: compile(&format!(
                r"\b{local}(?:{dot}{local})*{words}(?i:at){words}{label}(?:{dot}{label})*{dot}(?i:{SPOKEN_TLDS})\b"
            )),
            plus_phone: compile(r"\+\d{1,3}(?:[ .\-]?(?:\(\d{1,4}\)|\d{1,4})){1,7}"),
            iban_run: compile(&format!(r"\b[A-Za-z]{{2}}[0-9]{{2}}[A-Za-z0-9]*(?:{sp}[A-Za-z0-9]+)*")),
            alnum_group: compile(r"[A-Za-z0-9]+"),
            card_run: compile(&format!(r"\b[0-9]+(?:{card_sep}[0-9]+)*\b")),
            digit_group: compile(r"[0-9]+"),
            ssn: compile(&format!(r"\b[0-9]{{3}}{ssn_sep}[0-9]{{2}}{ssn_sep}[0-9]{{4}}\b")),
            na_phone: compile(&format!(
                r"(?:\+?1{phone_sep}?)?(?:\([2-9]\d{{2}}\) ?|\b[2-9]\d{{2}}{phone_sep})[2-9]\d{{2}}{phone_sep}\d{{4}}\b"
            )),
        }
    })
}

/// The patterns are constants checked by the unit tests; a failure here is a programming error.
fn compile(pattern: &str) -> Regex {
    #[allow(clippy::expect_used)]
    Regex::new(pattern).expect("PII pattern is a valid constant regex")
}

/// Redacts payment cards, SSNs, e-mails, phone numbers and IBANs; borrows the input when nothing matched.
pub fn redact(text: &str) -> Cow<'_, str> {
    let p = patterns();
    let text = replace_accepted(Cow::Borrowed(text), &p.email, EMAIL_TOKEN, |_, _| true);
    let text = replace_accepted(text, &p.spoken_email, EMAIL_TOKEN, is_spoken_email);
    let text = replace_accepted(text, &p.plus_phone, PHONE_TOKEN, is_international_phone);
    let text = replace_ibans(text, &p.iban_run, &p.alnum_group);
    let text = replace_cards(text, &p.card_run, &p.digit_group);
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

/// Replaces card numbers: within each run of digit groups (spaces, a dash or a dot between groups), the longest
/// group-aligned stretch of 13–19 digits starting at each group that passes [`is_card_span`], left to right.
/// A run longer than one card (`4111 1111 1111 1111 123`, a CVV after the number) still has its card found.
fn replace_cards<'a>(text: Cow<'a, str>, card_run: &Regex, digit_group: &Regex) -> Cow<'a, str> {
    let spans: Vec<(usize, usize)> = card_run
        .find_iter(&text)
        .flat_map(|run| card_spans(&text, &run, digit_group))
        .collect();
    replace_spans(text, &spans, CARD_TOKEN)
}

/// Replaces IBANs: within each run of space-separated words that starts with a country-code-shaped word
/// (`GB82`), the longest word-aligned stretch starting at such a word that passes [`is_iban_span`], left to right.
fn replace_ibans<'a>(text: Cow<'a, str>, iban_run: &Regex, alnum_group: &Regex) -> Cow<'a, str> {
    let mut spans = Vec::new();
    for run in iban_run.find_iter(&text) {
        let groups: Vec<(usize, usize)> = alnum_group
            .find_iter(run.as_str())
            .map(|w| (run.start() + w.start(), run.start() + w.end()))
            .collect();
        let mut first = 0;
        while first < groups.len() {
            let found = starts_like_iban(&text[groups[first].0..groups[first].1])
                .then(|| {
                    (first..groups.len())
                        .take_while(|&last| alnum_len(&text[groups[first].0..groups[last].1]) <= 34)
                        .filter(|&last| is_iban_span(&text, groups[first].0, groups[last].1))
                        .last()
                })
                .flatten();
            match found {
                Some(last) => {
                    spans.push((groups[first].0, groups[last].1));
                    first = last + 1;
                }
                None => first += 1,
            }
        }
    }
    replace_spans(text, &spans, IBAN_TOKEN)
}

/// Two letters then two digits (`GB82`): where an IBAN can start.
fn starts_like_iban(word: &str) -> bool {
    let b = word.as_bytes();
    b.len() >= 4
        && b[..2].iter().all(u8::is_ascii_alphabetic)
        && b[2..4].iter().all(u8::is_ascii_digit)
}

fn alnum_len(s: &str) -> usize {
    s.bytes().filter(u8::is_ascii_alphanumeric).count()
}

/// An IBAN: registry country code, two check digits, that country's length, `mod 97 == 1` (ISO 13616),
/// stand-alone.
fn is_iban_span(hay: &str, start: usize, end: usize) -> bool {
    let chars: Vec<u8> = hay[start..end]
        .bytes()
        .filter(u8::is_ascii_alphanumeric)
        .map(|b| b.to_ascii_uppercase())
        .collect();
    if !(15..=34).contains(&chars.len()) || !chars[2..4].iter().all(u8::is_ascii_digit) {
        return false;
    }
    let country = std::str::from_utf8(&chars[..2]).unwrap_or("");
    if !IBAN_COUNTRIES.contains(&(country, chars.len())) {
        return false;
    }
    let remainder = chars[4..].iter().chain(&chars[..4]).fold(0u32, |r, &c| {
        if c.is_ascii_digit() {
            (r * 10 + u32::from(c - b'0')) % 97
        } else {
            (r * 100 + u32::from(c - b'A') + 10) % 97
        }
    });
    remainder == 1 && standalone_span(hay, start, end)
}

/// A spoken address: not glued to the word before (`I'm at ...`), and its domain does not start with an article
/// or pronoun (`look at the dot com bubble`).
fn is_spoken_email(hay: &str, m: &Match<'_>) -> bool {
    let before = hay[..m.start()].chars().next_back();
    let glued = before.is_some_and(|c| c.is_alphanumeric() || "'\u{2019}.@-_".contains(c));
    let mut words = m
        .as_str()
        .split([' ', '\t', '\u{A0}', '\u{202F}'])
        .filter(|w| !w.is_empty());
    let domain = words
        .position(|w| w.eq_ignore_ascii_case("at"))
        .and_then(|_| words.next())
        .and_then(|w| w.split('.').next())
        .unwrap_or("");
    let not_a_domain = NOT_A_DOMAIN.iter().any(|w| w.eq_ignore_ascii_case(domain));
    !glued && !not_a_domain
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
fn card_spans(hay: &str, run: &Match<'_>, digit_group: &Regex) -> Vec<(usize, usize)> {
    let groups: Vec<(usize, usize)> = digit_group
        .find_iter(run.as_str())
        .map(|g| (run.start() + g.start(), run.start() + g.end()))
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
    // The separators may be multi-byte (no-break spaces): read the nine digits, not byte offsets.
    let d = digits(m.as_str());
    let valid = d.len() == 9
        && d[0..3] != [0, 0, 0]
        && d[0..3] != [6, 6, 6]
        && d[0] != 9
        && d[3..5] != [0, 0]
        && d[5..9] != [0, 0, 0, 0];
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
