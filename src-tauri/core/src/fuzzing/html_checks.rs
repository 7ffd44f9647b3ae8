//! Invariants of [`html_to_text`]: text shape, no markup left, nothing invented, and the content of
//! `script`/`style`/`noscript`/`template`, comments and attribute values (`javascript:` links) never reaching the text.

use super::{ensure, CheckResult, Violation};
use crate::kb::html::html_to_text;

const SKIPPED_ELEMENTS: [&str; 4] = ["script", "style", "noscript", "template"];

/// HTML → text on arbitrary input, plus the same input hidden inside elements and places whose content must vanish.
pub fn check_html_to_text(data: &[u8]) -> CheckResult {
    let html = String::from_utf8_lossy(data);
    let text = html_to_text(&html);
    ensure_text_shape(&text)?;
    if !html.contains('&') {
        ensure_no_markup(&text)?;
        ensure(is_subsequence(&text, &html), || {
            format!("text {text:?} has characters the input lacks")
        })?;
    }
    for element in SKIPPED_ELEMENTS {
        let body = remove_all_ascii_ci(&html, &format!("</{element}"));
        let hidden = html_to_text(&format!("<{element}>{body}</{element}>after"));
        ensure(hidden == "after", || {
            format!("<{element}> content leaked: {hidden:?}")
        })?;
    }
    // The space keeps the body from starting with `>` or `->`: `<!-->` and `<!--->` are complete (empty) comments in
    // HTML, so text after them is text (fuzz find: `>pctydd`).
    let comment = html_to_text(&format!(
        "<!-- {}-->after",
        remove_all_ascii_ci(&html, "-->")
    ));
    ensure(comment == "after", || {
        format!("comment leaked: {comment:?}")
    })?;
    let attribute = html.replace('"', "");
    let link = html_to_text(&format!("<a href=\"javascript:{attribute}\">after</a>"));
    ensure(link == "after", || format!("attribute leaked: {link:?}"))
}

/// Whitespace collapsed to single spaces and at most one blank line; nothing at either end.
fn ensure_text_shape(text: &str) -> CheckResult {
    ensure(text.trim() == text, || format!("untrimmed text {text:?}"))?;
    ensure(
        text.chars()
            .all(|c| !c.is_whitespace() || c == ' ' || c == '\n'),
        || format!("raw whitespace in {text:?}"),
    )?;
    for run in ["  ", "\n\n\n", " \n", "\n "] {
        ensure(!text.contains(run), || format!("{run:?} in {text:?}"))?;
    }
    Ok(())
}

/// No tag, end tag, comment or declaration opener (`<a`, `</a`, `<!`, `<?`) in `text`.
pub(super) fn ensure_no_markup(text: &str) -> CheckResult {
    for (i, _) in text.match_indices('<') {
        let rest = &text.as_bytes()[i + 1..];
        let opener = match rest.first() {
            Some(b) if b.is_ascii_alphanumeric() || *b == b'!' || *b == b'?' => true,
            Some(b'/') => rest.get(1).is_some_and(u8::is_ascii_alphanumeric),
            _ => false,
        };
        if opener {
            let end = text.len().min(i + 20);
            let excerpt: String = text[i..].chars().take(20).collect();
            return Err(Violation(format!(
                "markup left at byte {i}/{end}: {excerpt:?}"
            )));
        }
    }
    Ok(())
}

/// Whether the non-whitespace characters of `text` appear in `source` in order.
fn is_subsequence(text: &str, source: &str) -> bool {
    let mut source = source.chars();
    text.chars()
        .filter(|c| !c.is_whitespace())
        .all(|c| source.any(|s| s == c))
}

/// `text` without any (ASCII case-insensitive) occurrence of `needle`, including ones formed by a removal.
fn remove_all_ascii_ci(text: &str, needle: &str) -> String {
    let mut text = text.to_owned();
    while let Some(start) = text
        .as_bytes()
        .windows(needle.len())
        .position(|w| w.eq_ignore_ascii_case(needle.as_bytes()))
    {
        text.replace_range(start..start + needle.len(), "");
    }
    text
}
