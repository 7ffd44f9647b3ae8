//! HTML → plain text for indexing: tags stripped, `script`/`style`/`noscript`/`template` contents and comments dropped,
//! entities decoded, whitespace collapsed, paragraph and line breaks kept. One linear pass without a DOM, so hostile
//! input (unclosed tags, deep nesting, huge attributes) costs O(n) and never panics.

const SKIPPED_ELEMENTS: [&str; 4] = ["script", "style", "noscript", "template"];
const PARAGRAPH_ELEMENTS: [&str; 22] = [
    "p",
    "div",
    "section",
    "article",
    "header",
    "footer",
    "aside",
    "nav",
    "main",
    "blockquote",
    "pre",
    "table",
    "ul",
    "ol",
    "h1",
    "h2",
    "h3",
    "h4",
    "h5",
    "h6",
    "hr",
    "figure",
];
const LINE_ELEMENTS: [&str; 6] = ["br", "li", "tr", "dt", "dd", "td"];

/// Converts an HTML fragment or document to plain text.
pub fn html_to_text(html: &str) -> String {
    let mut out = TextBuilder::default();
    let bytes = html.as_bytes();
    let mut i = 0;
    while i < bytes.len() {
        match bytes[i] {
            b'<' => match consume_markup(&html[i..], &mut out) {
                Some(used) => {
                    out.after_markup();
                    i += used;
                }
                None => {
                    out.text("<");
                    i += 1;
                }
            },
            b'&' => {
                let (decoded, used) = decode_entity(&html[i..]);
                out.push_char(decoded);
                i += used;
            }
            _ => {
                let next = html[i..].find(['<', '&']).map_or(html.len(), |p| i + p);
                out.text(&html[i..next]);
                i = next;
            }
        }
    }
    out.finish()
}

/// Whether `text` looks like HTML worth converting.
pub fn looks_like_html(text: &str) -> bool {
    text.contains('<') || text.contains('&')
}

/// Consumes a tag, comment or declaration starting at `s[0] == '<'`; `None` when it is a literal `<`.
fn consume_markup(s: &str, out: &mut TextBuilder) -> Option<usize> {
    if s.starts_with("<!--") {
        return Some(s.find("-->").map_or(s.len(), |p| p + 3));
    }
    if s.starts_with("<!") || s.starts_with("<?") {
        return Some(s.find('>').map_or(s.len(), |p| p + 1));
    }
    let closing = s[1..].starts_with('/');
    let name_start = if closing { 2 } else { 1 };
    let name_len = s[name_start..]
        .bytes()
        .take_while(|b| b.is_ascii_alphanumeric())
        .count();
    if name_len == 0 {
        return None;
    }
    let name = s[name_start..name_start + name_len].to_ascii_lowercase();
    let end = tag_end(s).unwrap_or(s.len());
    if !closing && SKIPPED_ELEMENTS.contains(&name.as_str()) {
        return Some(end + skip_element_body(&s[end..], &name));
    }
    if PARAGRAPH_ELEMENTS.contains(&name.as_str()) {
        out.line_breaks(2);
    } else if LINE_ELEMENTS.contains(&name.as_str()) {
        out.line_breaks(1);
    } else {
        out.word_break();
    }
    Some(end)
}

/// Index just past the `>` closing the tag at the start of `s`, honouring quoted attribute values.
fn tag_end(s: &str) -> Option<usize> {
    let mut quote: Option<u8> = None;
    for (i, b) in s.bytes().enumerate() {
        match (quote, b) {
            (Some(q), _) if b == q => quote = None,
            (Some(_), _) => {}
            (None, b'"' | b'\'') => quote = Some(b),
            (None, b'>') => return Some(i + 1),
            _ => {}
        }
    }
    None
}

/// Length of `s` up to and including `</name ...>`, or all of it when unclosed.
fn skip_element_body(s: &str, name: &str) -> usize {
    let needle = format!("</{name}");
    let Some(start) = find_ascii_case_insensitive(s, &needle) else {
        return s.len();
    };
    start + s[start..].find('>').map_or(s.len() - start, |p| p + 1)
}

fn find_ascii_case_insensitive(haystack: &str, needle: &str) -> Option<usize> {
    let needle = needle.as_bytes();
    haystack
        .as_bytes()
        .windows(needle.len())
        .position(|w| w.eq_ignore_ascii_case(needle))
}

/// Decodes the entity at `s[0] == '&'`; returns the character and the bytes used (a lone `&` stays literal).
fn decode_entity(s: &str) -> (char, usize) {
    let window_end = (0..=s.len().min(34))
        .rev()
        .find(|&i| s.is_char_boundary(i))
        .unwrap_or(0);
    let window = &s[..window_end];
    let Some(semi) = window.find(';') else {
        return ('&', 1);
    };
    let name = &s[1..semi];
    let decoded = match name.strip_prefix('#') {
        Some(num) => {
            let code = match num.strip_prefix(['x', 'X']) {
                Some(hex) => u32::from_str_radix(hex, 16).ok(),
                None => num.parse::<u32>().ok(),
            };
            code.map(|c| {
                char::from_u32(c)
                    .filter(|c| *c != '\0')
                    .unwrap_or('\u{FFFD}')
            })
        }
        None => named_entity(name),
    };
    match decoded {
        Some(c) => (c, semi + 1),
        None => ('&', 1),
    }
}

fn named_entity(name: &str) -> Option<char> {
    Some(match name {
        "amp" => '&',
        "lt" => '<',
        "gt" => '>',
        "quot" => '"',
        "apos" => '\'',
        "nbsp" | "ensp" | "emsp" | "thinsp" => ' ',
        "ndash" => '–',
        "mdash" => '—',
        "hellip" => '…',
        "lsquo" => '‘',
        "rsquo" => '’',
        "ldquo" => '“',
        "rdquo" => '”',
        "bull" => '•',
        "copy" => '©',
        "reg" => '®',
        "trade" => '™',
        "euro" => '€',
        "pound" => '£',
        "eacute" => 'é',
        "egrave" => 'è',
        "agrave" => 'à',
        "ccedil" => 'ç',
        "uuml" => 'ü',
        "ouml" => 'ö',
        "auml" => 'ä',
        "szlig" => 'ß',
        _ => return None,
    })
}

/// Accumulates text with collapsed whitespace and pending breaks.
#[derive(Default)]
struct TextBuilder {
    out: String,
    pending_space: bool,
    pending_breaks: u8,
}

impl TextBuilder {
    fn text(&mut self, text: &str) {
        for c in text.chars() {
            self.push_char(c);
        }
    }

    fn push_char(&mut self, c: char) {
        if c.is_whitespace() {
            self.pending_space = true;
            return;
        }
        if !self.out.is_empty() {
            if self.pending_breaks > 0 {
                for _ in 0..self.pending_breaks {
                    self.out.push('\n');
                }
            } else if self.pending_space {
                self.out.push(' ');
            }
        }
        self.pending_space = false;
        self.pending_breaks = 0;
        self.out.push(c);
    }

    fn line_breaks(&mut self, count: u8) {
        self.pending_breaks = self.pending_breaks.max(count);
    }

    /// A literal `<` (or `</`) right before removed markup must not join the text after it into a new tag
    /// (`<<b>script>` is not `<script>`): separate them.
    fn after_markup(&mut self) {
        if self.out.ends_with('<') || self.out.ends_with("</") {
            self.pending_space = true;
        }
    }

    fn word_break(&mut self) {
        // Inline tags do not separate words (`<b>re</b>set`); whitespace around them already counts.
    }

    fn finish(self) -> String {
        self.out
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn keeps_paragraphs_and_lines_and_drops_markup() {
        let html = "<h1>Reset&nbsp;a password</h1><p>Open <b>Settings</b>,\n  then   click <a href=\"x>y\">Reset</a>.</p><ul><li>one</li><li>two<br>three</li></ul>";
        assert_eq!(
            html_to_text(html),
            "Reset a password\n\nOpen Settings, then click Reset.\n\none\ntwo\nthree"
        );
    }

    #[test]
    fn drops_scripts_styles_and_comments() {
        let html = "<style>p{color:red}</style>A<!-- hidden -->B<SCRIPT type='x'>alert('<p>')</script >C<noscript>n";
        assert_eq!(html_to_text(html), "ABC");
    }

    #[test]
    fn decodes_entities_and_keeps_stray_ampersands_and_angles() {
        assert_eq!(
            html_to_text("AT&T &lt;b&gt; &#233;&#xE9; &copy; &bogus; 3 < 4 &#0;"),
            "AT&T <b> éé © &bogus; 3 < 4 \u{FFFD}"
        );
    }

    #[test]
    fn removed_markup_does_not_join_a_literal_angle_into_a_tag() {
        assert_eq!(html_to_text("<<b>script>x"), "< script>x");
        assert_eq!(html_to_text("</<i>a"), "</ a");
    }

    #[test]
    fn hostile_input_terminates() {
        let deep = "<div>".repeat(10_000) + "x" + &"</div>".repeat(10_000);
        assert_eq!(html_to_text(&deep), "x");
        for s in [
            "<",
            "<a",
            "<a href='",
            "<!--",
            "<script>",
            "&",
            "&#",
            "&#x110000;",
            "<\u{e9}>",
            "é<p>é",
            // Fuzz find: the 34-byte entity window used to end inside a multi-byte character.
            "&aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaé;",
        ] {
            let _ = html_to_text(s);
        }
        assert_eq!(html_to_text("<a href='unclosed"), "");
    }
}
