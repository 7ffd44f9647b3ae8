//! Key phrases: multi-word, filler-free, recency/speaker weighted, identifiers verbatim; the seed stand-in.

use assist_core::nlp::keyphrases::seed::{SeedKeyphraseExtractor, SEED_TOP_K};
use assist_core::nlp::{extract_keyphrases, query_text, KeyPhrase, KeyPhraseOptions};
use assist_core::testing::real_asset_paths;

const CALL: &str = "Agent: Thank you for calling Northwind, how can I help you today?
Customer: Hi, um, my internet keeps dropping since I upgraded to the Unlimited Plus 5G plan.
Agent: I'm sorry to hear that. Let me check your account. Can I have the order number?
Customer: Sure, it's ORD-558120. The router was replaced last week.
Agent: Thank you. Are you seeing any error on the router?
Customer: Yeah, you know, the app shows error 0x80070005 and the router light blinks orange.";

fn texts(phrases: &[KeyPhrase]) -> Vec<String> {
    phrases.iter().map(|p| p.text.clone()).collect()
}

#[test]
fn multi_word_phrases_and_verbatim_identifiers() {
    let phrases = extract_keyphrases(CALL, &KeyPhraseOptions::default());
    let got = texts(&phrases);
    eprintln!("{phrases:#?}");
    assert!(got.contains(&"0x80070005".to_string()), "{got:?}");
    assert!(got.contains(&"ORD-558120".to_string()), "{got:?}");
    assert!(
        got.iter().any(|t| t.contains("router light blinks")),
        "{got:?}"
    );
    assert!(got.iter().any(|t| t.split(' ').count() > 1));
    assert!(
        phrases
            .iter()
            .find(|p| p.text == "0x80070005")
            .unwrap()
            .exact
    );
    assert!(phrases.windows(2).all(|w| w[0].score >= w[1].score));
}

#[test]
fn filler_stop_words_and_greetings_never_appear() {
    let phrases = extract_keyphrases(
        CALL,
        &KeyPhraseOptions {
            top_k: 100,
            ..Default::default()
        },
    );
    for p in &phrases {
        for banned in [
            "um", "thank", "calling", "you know", "help", "let me", "check", "today",
        ] {
            assert!(
                !p.text.split(' ').any(|w| w == banned) && !p.text.contains("you know"),
                "{banned} in {p:?}"
            );
        }
    }
}

#[test]
fn introduced_names_are_not_key_phrases() {
    let call = "Agent: Hi, this is Olivia from the help desk.
Customer: Hello Olivia, my name is Diego Ramos and my Outlook calendar stopped syncing.
Agent: I'm Sam's colleague; thanks Diego.
Customer: This is Windows 11 by the way.";
    let all = KeyPhraseOptions {
        top_k: 100,
        ..Default::default()
    };
    let got = texts(&extract_keyphrases(call, &all)).join(" | ");
    assert!(!got.contains("diego ramos"), "{got}");
    assert!(
        !got.contains("olivia from"),
        "the introduced name is gone: {got}"
    );
    assert!(got.contains("outlook calendar"), "{got}");
    assert!(
        got.contains("windows"),
        "a customer's \"this is Windows\" is not an introduction: {got}"
    );
}

#[test]
fn recent_turns_outweigh_old_ones() {
    let transcript =
        "Customer: printer jammed\nAgent: okay\nAgent: okay\nAgent: okay\nCustomer: scanner jammed";
    let phrases = extract_keyphrases(transcript, &KeyPhraseOptions::default());
    let score = |t: &str| {
        phrases
            .iter()
            .find(|p| p.text == t)
            .map(|p| p.score)
            .unwrap()
    };
    assert!(score("scanner jammed") > score("printer jammed"));
    let flat = KeyPhraseOptions {
        recency_decay: 1.0,
        ..Default::default()
    };
    let phrases = extract_keyphrases(transcript, &flat);
    let score = |t: &str| {
        phrases
            .iter()
            .find(|p| p.text == t)
            .map(|p| p.score)
            .unwrap()
    };
    assert_eq!(score("scanner jammed"), score("printer jammed"));
}

#[test]
fn customer_turns_outweigh_agent_turns() {
    let transcript = "Customer: voicemail password\nAgent: billing cycle";
    let swapped = "Agent: billing cycle\nCustomer: voicemail password";
    let opts = KeyPhraseOptions {
        recency_decay: 1.0,
        ..Default::default()
    };
    for t in [transcript, swapped] {
        let phrases = extract_keyphrases(t, &opts);
        assert_eq!(phrases[0].text, "voicemail password", "{phrases:?}");
    }
}

#[test]
fn key_phrases_pii_redaction_placeholders_are_breaks_not_phrases() {
    let redacted =
        "Customer: it is [CARD], and [SSN] then [EMAIL] or [PHONE]. Modem [CARD] reboot loop";
    let got = texts(&extract_keyphrases(
        redacted,
        &KeyPhraseOptions {
            top_k: 20,
            ..Default::default()
        },
    ));
    let words: Vec<String> = got
        .iter()
        .flat_map(|p| p.split(' ').map(str::to_lowercase))
        .collect();
    for placeholder in ["card", "ssn", "email", "phone"] {
        assert!(
            !words.iter().any(|w| w.contains(placeholder)),
            "{placeholder:?} in {got:?}"
        );
    }
    // The placeholder is a break: the words on either side do not join into one phrase.
    assert!(got.contains(&"modem".to_string()), "{got:?}");
    assert!(got.contains(&"reboot loop".to_string()), "{got:?}");
}

#[test]
fn inline_speaker_labels_split_turns() {
    let inline = "Agent: how are you Customer: refund request Agent: sure";
    let phrases = extract_keyphrases(inline, &KeyPhraseOptions::default());
    assert_eq!(texts(&phrases), vec!["refund request".to_string()]);
}

#[test]
fn empty_and_filler_only_input_give_nothing() {
    let opts = KeyPhraseOptions::default();
    assert!(extract_keyphrases("", &opts).is_empty());
    assert!(extract_keyphrases("   \n\t", &opts).is_empty());
    assert!(extract_keyphrases("Agent: um, uh, okay, thank you for calling!", &opts).is_empty());
    assert_eq!(query_text(&[]), "");
}

#[test]
fn unicode_text_is_handled() {
    let t = "Customer: Ich möchte meinen Vertrag kündigen — die Rückerstattung für März fehlt 😕. Café Wi‑Fi";
    let phrases = extract_keyphrases(
        t,
        &KeyPhraseOptions {
            top_k: 20,
            ..Default::default()
        },
    );
    let got = texts(&phrases);
    assert!(got.iter().any(|p| p.contains("rückerstattung")), "{got:?}");
    assert!(got.iter().all(|p| !p.contains('😕')));
    let upper = extract_keyphrases("Customer: ÉCRAN NOIR", &KeyPhraseOptions::default());
    assert_eq!(texts(&upper), vec!["écran noir".to_string()]);
}

#[test]
fn very_long_input_is_bounded_and_deterministic() {
    let turn = "Customer: my router keeps dropping the connection with error E-1042 again\n";
    let long = turn.repeat(5_000);
    let opts = KeyPhraseOptions::default();
    let a = extract_keyphrases(&long, &opts);
    let b = extract_keyphrases(&long, &opts);
    assert_eq!(a, b);
    assert!(a.len() <= opts.top_k);
    assert!(a[0].text.contains("E-1042") && a[0].exact, "{a:?}");
}

#[test]
fn query_text_joins_best_first() {
    let phrases = extract_keyphrases(
        CALL,
        &KeyPhraseOptions {
            top_k: 3,
            ..Default::default()
        },
    );
    let q = query_text(&phrases);
    assert_eq!(q, texts(&phrases).join(" "));
    assert!(q.starts_with(&phrases[0].text));
}

#[test]
fn long_runs_are_cut_into_three_word_phrases() {
    let phrases = extract_keyphrases(
        "Customer: unlimited plus family premium streaming bundle",
        &KeyPhraseOptions::default(),
    );
    assert!(phrases.iter().all(|p| p.text.split(' ').count() <= 3));
    assert_eq!(phrases.len(), 2);
}

#[test]
fn seed_stand_in_returns_single_subword_tokens() {
    let seed =
        SeedKeyphraseExtractor::from_tokenizer_file(&real_asset_paths().tokenizer_json).unwrap();
    let got = seed.extract(CALL, SEED_TOP_K);
    eprintln!("seed: {got:?}");
    assert!(!got.is_empty() && got.len() <= SEED_TOP_K);
    assert!(got.iter().all(|t| !t.contains(' ')));
    assert!(got
        .iter()
        .all(|t| !["[CLS]", "[SEP]", "[PAD]"].contains(&t.as_str())));
    assert!(seed.extract("", SEED_TOP_K).is_empty());
    assert_eq!(got, seed.extract(CALL, SEED_TOP_K));
}
