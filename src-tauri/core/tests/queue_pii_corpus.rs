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

#[test]
fn corpus_is_large_enough() {
    assert!(POSITIVES.len() >= 30, "{} positives", POSITIVES.len());
    assert!(NEGATIVES.len() >= 30, "{} negatives", NEGATIVES.len());
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
