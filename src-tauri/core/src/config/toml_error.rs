//! A TOML error as one line that is safe to log and show: the line number, the key when it can be told, and a
//! short reason. Never the value or the source line: `toml`'s own message quotes the offending line (and serde's
//! "invalid type" names the value), so `client_secret = "S3cr3t"` would end up in the log, the Settings window's
//! "Test connection" answer and `load_settings`.

/// `line N: `key`: reason` for `error`, raised while reading `text`.
pub fn describe_toml_error(text: &str, error: &toml::de::Error) -> String {
    let message = error.message();
    let Some(span) = error.span() else {
        return format!("not valid TOML ({})", reason(message));
    };
    let start = span.start.min(text.len());
    let start = (0..=start)
        .rev()
        .find(|&i| text.is_char_boundary(i))
        .unwrap_or(0);
    let line = text[..start].matches('\n').count() + 1;
    match key_at(text, start, message) {
        Some(key) => format!("line {line}: `{key}`: {}", reason(message)),
        None => format!("line {line}: {}", reason(message)),
    }
}

/// A short reason from a fixed list; `message` itself is never echoed.
fn reason(message: &str) -> String {
    if message.starts_with("unknown field") {
        return "unknown key".into();
    }
    if message.starts_with("duplicate key") {
        return "duplicate key".into();
    }
    let expected = message
        .rsplit_once(", expected ")
        .map(|(_, expected)| expected_kind(expected));
    if message.starts_with("invalid type") {
        return match expected {
            Some(kind) => format!("wrong type, expected {kind}"),
            None => "wrong type".into(),
        };
    }
    if message.starts_with("invalid value") {
        return match expected {
            Some(kind) => format!("invalid value, expected {kind}"),
            None => "invalid value".into(),
        };
    }
    if message.starts_with("invalid basic string") || message.starts_with("invalid literal string")
    {
        return "invalid TOML syntax: unterminated or malformed string".into();
    }
    if message.starts_with("invalid string") {
        return "invalid TOML syntax: a text value must be in quotes".into();
    }
    if message.contains("expected `.`, `=`") {
        return "invalid TOML syntax: expected `=` after the key".into();
    }
    "invalid TOML syntax".into()
}

/// What serde expected, in words, from the types of the config (anything else: "another type").
fn expected_kind(expected: &str) -> &'static str {
    match expected {
        "u8" | "u16" | "u32" | "u64" | "usize" | "i8" | "i16" | "i32" | "i64" | "isize" => {
            "a whole number"
        }
        "f32" | "f64" => "a number",
        "a string" | "path string" => "a string",
        "a boolean" => "true or false",
        _ if expected.starts_with("struct ") || expected.starts_with("a table") => "a table",
        _ => "another type",
    }
}

/// The dotted key the error is about, or `None` when it cannot be told without quoting the line.
fn key_at(text: &str, at: usize, message: &str) -> Option<String> {
    let line_start = text[..at].rfind('\n').map_or(0, |i| i + 1);
    let table = table_at(&text[..line_start]);
    let before = &text[line_start..at];
    let key = if message.starts_with("unknown field") {
        // serde names the key: "unknown field `topk`, expected one of ...".
        message.split('`').nth(1).map(str::to_owned)
    } else if message.starts_with("invalid type") || message.starts_with("invalid value") {
        // The document parsed, so the text before `=` on this line is a real key; the span is its value.
        inline_key(before)
    } else {
        // A syntax error: the line may be anything (a pasted secret parses as a key: `dGhpc2lz==`), so the
        // key is named only when it looks like one of ours (snake_case words).
        let end = text[at..].find('\n').map_or(text.len(), |i| at + i);
        let line = &text[line_start..end];
        let candidate: String = line
            .trim_start()
            .chars()
            .take_while(|c| c.is_ascii_alphanumeric() || matches!(c, '_' | '.' | '-'))
            .collect();
        let looks_like_ours = !candidate.is_empty() && candidate.split('.').all(snake_case_name);
        looks_like_ours.then_some(candidate)
    }?;
    if !key.split('.').all(bare_key) {
        return None;
    }
    Some(match table {
        Some(table) if !key.starts_with(&format!("{table}.")) => format!("{table}.{key}"),
        _ => key,
    })
}

/// The key right before the last `=` of `before` (after an inline table's `{` or `,`), with the keys of the
/// enclosing inline tables on the line: `ranking = { top_k = ` → `ranking.top_k`. Earlier string values on the
/// line are blanked first, so none of their text can be taken for a key.
fn inline_key(before: &str) -> Option<String> {
    let before = without_strings(before);
    let before = before.trim_end().strip_suffix('=')?;
    let segments: Vec<&str> = before.split('{').collect();
    let (last, outer) = segments.split_last()?;
    let after_comma = |s: &str| s.rsplit(',').next().unwrap_or(s).trim().to_owned();
    let mut keys: Vec<String> = outer
        .iter()
        .map(|segment| after_comma(segment.rsplit_once('=').map_or(*segment, |(head, _)| head)))
        .collect();
    keys.push(after_comma(last));
    keys.iter().all(|k| !k.is_empty()).then(|| keys.join("."))
}

/// `text` with the contents of its quoted strings (basic, with escapes, and literal) removed.
fn without_strings(text: &str) -> String {
    let mut out = String::with_capacity(text.len());
    let mut quote: Option<char> = None;
    let mut escaped = false;
    for c in text.chars() {
        match quote {
            Some(q) => {
                if escaped {
                    escaped = false;
                } else if q == '"' && c == '\\' {
                    escaped = true;
                } else if c == q {
                    quote = None;
                    out.push(c);
                }
            }
            None => {
                if c == '"' || c == '\'' {
                    quote = Some(c);
                }
                out.push(c);
            }
        }
    }
    out
}

/// The name of the last `[table]` header in `text` (an array of tables counts as its name).
fn table_at(text: &str) -> Option<String> {
    text.lines()
        .map(str::trim)
        .rfind(|l| l.starts_with('['))
        .and_then(|header| {
            let name = header.trim_start_matches('[');
            let name = &name[..name.find(']')?];
            let name = name.trim();
            name.split('.').all(bare_key).then(|| name.to_owned())
        })
}

/// A bare TOML key (`A-Za-z0-9_-`), at most 64 characters.
fn bare_key(part: &str) -> bool {
    let part = part.trim();
    !part.is_empty()
        && part.len() <= 64
        && part
            .bytes()
            .all(|b| b.is_ascii_alphanumeric() || b == b'_' || b == b'-')
}

/// A name like ours: one of our single-word keys, or snake_case (`client_secret`, `bm25_weight`: at least two
/// lowercase words of letters then digits, joined by `_`; at most 40 characters). A secret pasted on a line
/// of its own (`hunter2`, `dGhpc2lz==`) has no such shape, so it is never shown as a key.
fn snake_case_name(part: &str) -> bool {
    const ONE_WORD_KEYS: [&str; 4] = ["tenant", "scopes", "ranking", "pipeline"];
    if ONE_WORD_KEYS.contains(&part) {
        return true;
    }
    part.len() <= 40
        && part.contains('_')
        && part.split('_').all(|word| {
            let letters = word.trim_end_matches(|c: char| c.is_ascii_digit());
            !letters.is_empty() && letters.bytes().all(|b| b.is_ascii_lowercase())
        })
}
