//! PII corpus: every positive is redacted to the expected text; no near-miss negative is touched.

use assist_core::pii::redact;

/// (input, expected output after redaction).
const POSITIVES: &[(&str, &str)] = &[
    ("my card is 4111 1111 1111 1111", "my card is [CARD]"),
    ("card 4111-1111-1111-1111 please", "card [CARD] please"),
    ("number 4111111111111111.", "number [CARD]."),
    (
        "visa 4012888888881881 expires 12/27",
        "visa [CARD] expires 12/27",
    ),
    ("mastercard 5555 5555 5555 4444", "mastercard [CARD]"),
    ("use 5105105105105100 instead", "use [CARD] instead"),
    ("amex 3782 822463 10005", "amex [CARD]"),
    ("amex 371449635398431", "amex [CARD]"),
    ("discover 6011 1111 1111 1117", "discover [CARD]"),
    ("jcb 3530111333300000", "jcb [CARD]"),
    ("diners 30569309025904", "diners [CARD]"),
    ("old visa 4222222222222", "old visa [CARD]"),
    ("new mc 2223 0031 2200 3222", "new mc [CARD]"),
    ("unionpay 6200000000000005 ok", "unionpay [CARD] ok"),
    (
        "Customer: it's 5200-8282-8282-8210",
        "Customer: it's [CARD]",
    ),
    ("ssn 123-45-6789", "ssn [SSN]"),
    ("my social is 078-05-1120.", "my social is [SSN]."),
    ("(ssn: 665-12-3456)", "(ssn: [SSN])"),
    ("SSN 899-99-9998 on file", "SSN [SSN] on file"),
    ("email john.doe@example.com now", "email [EMAIL] now"),
    (
        "Mail: JANE_SMITH+billing@mail.example.co.uk",
        "Mail: [EMAIL]",
    ),
    ("<a.b-c@sub.domain.org>", "<[EMAIL]>"),
    ("call (415) 555-0132", "call [PHONE]"),
    ("call 415-555-0132 today", "call [PHONE] today"),
    ("or 415.555.0132.", "or [PHONE]."),
    ("toll free 1-800-555-0199", "toll free [PHONE]"),
    ("reach me at +14155550132", "reach me at [PHONE]"),
    ("uk +44 20 7946 0958", "uk [PHONE]"),
    ("france +33 1 23 45 67 89", "france [PHONE]"),
    ("germany +49 30 901820", "germany [PHONE]"),
    ("us +1 (415) 555-0132", "us [PHONE]"),
    ("india +91 98765 43210, thanks", "india [PHONE], thanks"),
    (
        "Customer: card 4111 1111 1111 1111 and mail a@b.io\nAgent: thanks",
        "Customer: card [CARD] and mail [EMAIL]\nAgent: thanks",
    ),
];

const NEGATIVES: &[&str] = &[
    "card 4111 1111 1111 1112",
    "number 1234567812345678",
    "try 5555 5555 5555 5555",
    "order ORD-2024-000123 is late",
    "order #ORD-123-45-6789",
    "date 2024-01-15",
    "date 01/15/2024",
    "date 15.01.2024",
    "version 1.2.3",
    "windows 10.0.19045.2965",
    "release v2.14.0",
    "error 0x80070005",
    "error 0xC000021A",
    "installer error 1603",
    "price $1,299.99",
    "price €45.00 per month",
    "$19.99/month plan",
    "zip 94105",
    "zip 94105-1234",
    "at 14:30",
    "at 10:45:30",
    "9:00 am tomorrow",
    "ip 192.168.1.100",
    "fake ssn 000-12-3456",
    "fake ssn 666-12-3456",
    "fake ssn 912-34-5678",
    "fake ssn 123-00-4567",
    "fake ssn 123-45-0000",
    "not a phone 123-456-7890",
    "extension 555-0132",
    "timestamp 1700000000000",
    "isbn 978-3-16-148410-0",
    "tracking 1Z999AA10123456784",
    "guid 3f2504e0-4f89-11d3-9a0c-0305e82c3301",
    "12,000,000 users",
    "ratio 16:9",
    "user@localhost",
    "score +15 points",
    "invoice INV-000123456789",
    "build 20240115.3",
];

/// Speech-to-text and copy-paste forms (input, expected output).
const SPEECH_POSITIVES: &[(&str, &str)] = &[
    // Speech-to-text forms: spaced groups, spaced dashes, dots, no-break spaces.
    ("ssn 123 45 6789", "ssn [SSN]"),
    ("social 078\u{a0}05\u{a0}1120.", "social [SSN]."),
    ("call 415 555 0132", "call [PHONE]"),
    (
        "call me on 1 800 555 0199 tomorrow",
        "call me on [PHONE] tomorrow",
    ),
    ("card 4111 - 1111 - 1111 - 1111", "card [CARD]"),
    ("card 4111.1111.1111.1111 thanks", "card [CARD] thanks"),
    ("card 4111\u{a0}1111\u{a0}1111\u{a0}1111", "card [CARD]"),
    (
        "card 5555\u{202f}5555\u{202f}5555\u{202f}4444.",
        "card [CARD].",
    ),
    // IBANs (ISO 13616 mod-97 checked), printed in groups or compact, any case.
    ("iban GB82 WEST 1234 5698 7654 32", "iban [IBAN]"),
    ("iban DE89370400440532013000.", "iban [IBAN]."),
    ("it is gb82 west 1234 5698 7654 32 ok", "it is [IBAN] ok"),
    ("FR14 2004 1010 0505 0001 3M02 606 please", "[IBAN] please"),
    (
        "account NL91\u{a0}ABNA\u{a0}0417\u{a0}1643\u{a0}00",
        "account [IBAN]",
    ),
    // Spoken e-mail addresses.
    ("email john at example dot com", "email [EMAIL]"),
    (
        "it's john dot smith at example dot co dot uk thanks",
        "it's [EMAIL] thanks",
    ),
    ("Mail: John At Example Dot Com.", "Mail: [EMAIL]."),
    ("mail jane_doe at mail.example.org now", "mail [EMAIL] now"),
];

/// Near misses of the speech-to-text forms: never touched.
const SPEECH_NEGATIVES: &[&str] = &[
    // Near misses of the speech-to-text forms: order numbers, tickets, models stay readable.
    "order 12345678",
    "order 1234 5678",
    "ticket 4521",
    "model X200",
    "ticket 4521 for model X200",
    // A date read out in groups is not 3-2-4 (SSN) or 3-3-4 (phone) shaped: kept, like 2024-05-12.
    "date 2024 05 12",
    "date 2024.05.12",
    "not a phone 123 456 7890",
    "extension 555 0132",
    "card 4111 - 1111 - 1111 - 1112",
    "fake ssn 000 12 3456",
    "iban DE89370400440532013001",
    "iban XX82 WEST 1234 5698 7654 32",
    "sku AB12 CD34",
    "look at the dot com bubble",
    "meet me at 5 dot 30",
    "we met at the office",
    "I'm at home",
];

#[test]
fn corpus_is_large_enough() {
    assert!(POSITIVES.len() >= 30, "{} positives", POSITIVES.len());
    assert!(NEGATIVES.len() >= 30, "{} negatives", NEGATIVES.len());
}

/// Inputs whose redaction differs from the expected text.
fn redaction_failures(positives: &[(&str, &str)]) -> Vec<String> {
    positives
        .iter()
        .filter_map(|(input, expected)| {
            let got = redact(input);
            (got != *expected).then(|| format!("{input:?} -> {got:?}, expected {expected:?}"))
        })
        .collect()
}

/// Negatives that redaction changed.
fn touched(negatives: &[&str]) -> Vec<String> {
    negatives
        .iter()
        .filter_map(|input| {
            let got = redact(input);
            (got != *input).then(|| format!("{input:?} -> {got:?}"))
        })
        .collect()
}

#[test]
fn pii_patterns_miss_speech_to_text_forms_positives_are_redacted() {
    let failures = redaction_failures(SPEECH_POSITIVES);
    assert!(failures.is_empty(), "{}", failures.join("\n"));
}

#[test]
fn pii_patterns_miss_speech_to_text_forms_near_misses_are_kept() {
    let failures = touched(SPEECH_NEGATIVES);
    assert!(failures.is_empty(), "{}", failures.join("\n"));
}

#[test]
fn every_positive_is_redacted() {
    let failures: Vec<String> = POSITIVES
        .iter()
        .filter_map(|(input, expected)| {
            let got = redact(input);
            (got != *expected).then(|| format!("{input:?} -> {got:?}, expected {expected:?}"))
        })
        .collect();
    assert!(failures.is_empty(), "{}", failures.join("\n"));
}

#[test]
fn no_negative_is_touched() {
    let failures: Vec<String> = NEGATIVES
        .iter()
        .filter_map(|input| {
            let got = redact(input);
            (got != *input).then(|| format!("{input:?} -> {got:?}"))
        })
        .collect();
    assert!(failures.is_empty(), "{}", failures.join("\n"));
}

#[test]
fn long_adversarial_input_is_handled() {
    let digits = "1 ".repeat(50_000);
    let ats = "a@".repeat(50_000);
    let started = std::time::Instant::now();
    assert_eq!(redact(&digits), digits);
    assert_eq!(redact(&ats), ats);
    println!(
        "redacted 200 KB of adversarial input in {:?}",
        started.elapsed()
    );
}

#[test]
fn pii_patterns_miss_speech_to_text_forms_adversarial_input_is_handled() {
    // Near misses of the speech-to-text patterns, repeated: every run is a candidate, none is PII.
    let inputs = [
        "1 - ".repeat(20_000),
        "1.".repeat(20_000),
        "1\u{a0}".repeat(20_000),
        "GB82 ".repeat(20_000),
        "a dot ".repeat(20_000),
        "a at b dot ".repeat(10_000),
        "x at ".repeat(20_000),
    ];
    let started = std::time::Instant::now();
    for input in &inputs {
        assert_eq!(redact(input), *input);
    }
    let elapsed = started.elapsed();
    println!(
        "redacted {} KB of speech-form near misses in {elapsed:?}",
        inputs.iter().map(String::len).sum::<usize>() / 1000
    );
    assert!(elapsed < std::time::Duration::from_secs(20), "{elapsed:?}");
}
