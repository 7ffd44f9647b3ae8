// Safe rendering helpers shared by the windows. Everything is built with DOM APIs and textContent:
// data is never parsed as HTML, and only http/https links become anchors.
"use strict";

const SafeRender = (() => {
  /** Returns the URL when it is http(s), else null. */
  function safeUrl(text) {
    try {
      const url = new URL(text);
      return url.protocol === "http:" || url.protocol === "https:" ? url.href : null;
    } catch (_) {
      return null;
    }
  }

  function el(tag, className, text) {
    const node = document.createElement(tag);
    if (className) node.className = className;
    if (text !== undefined && text !== null) node.textContent = String(text);
    return node;
  }

  function link(label, href) {
    const url = safeUrl(href);
    if (!url) return document.createTextNode(label);
    const a = el("a", "ext-link", label);
    a.href = url;
    a.target = "_blank";
    a.rel = "noopener noreferrer";
    return a;
  }

  // Inline markdown: **bold**, *em*, `code`, [text](url), bare http(s) URLs. Anything else is text.
  // Linear time on any input: every repeated part stops at the next occurrence of the delimiter its attempt starts
  // with, so two attempts of one kind never scan the same characters. Link text excludes `[` and the URL excludes
  // `(`: with `[^\]]+` / `[^)\s]+` each `[` (or `](`) rescanned to the end of a run without `]` (or `)`), quadratic
  // (40k `[` took 0.5 s).
  const INLINE = /(\*\*([^*]+)\*\*)|(`([^`]+)`)|(\[([^[\]]+)\]\(([^()\s]+)\))|(https?:\/\/[^\s<>()"']+)|(\*([^*\s][^*]*)\*)/g;

  function appendInline(parent, text) {
    let last = 0;
    for (const m of text.matchAll(INLINE)) {
      if (m.index > last) parent.append(document.createTextNode(text.slice(last, m.index)));
      if (m[1]) parent.append(el("strong", null, m[2]));
      else if (m[3]) parent.append(el("code", null, m[4]));
      else if (m[5]) parent.append(link(m[6], m[7]));
      else if (m[8]) parent.append(link(m[8], m[8]));
      else if (m[9]) parent.append(el("em", null, m[10]));
      last = m.index + m[0].length;
    }
    if (last < text.length) parent.append(document.createTextNode(text.slice(last)));
    return parent;
  }

  /** Renders markdown-ish plain text (paragraphs, headings, lists) into a fragment. */
  function markdown(text) {
    const fragment = document.createDocumentFragment();
    const blocks = String(text || "").replace(/\r\n?/g, "\n").split(/\n{2,}/);
    for (const block of blocks) {
      const lines = block.split("\n").filter((l) => l.trim() !== "");
      if (lines.length === 0) continue;
      const heading = /^(#{1,4})\s+(.*)$/.exec(lines[0]);
      if (heading && lines.length === 1) {
        fragment.append(appendInline(el("h" + Math.min(heading[1].length + 2, 6), "md-h"), heading[2]));
        continue;
      }
      const bullet = /^\s*(?:[-*+]|\d+[.)])\s+/;
      if (lines.every((l) => bullet.test(l))) {
        const list = el(/^\s*\d/.test(lines[0]) ? "ol" : "ul", "md-list");
        for (const l of lines) list.append(appendInline(el("li"), l.replace(bullet, "")));
        fragment.append(list);
        continue;
      }
      const p = el("p", "md-p");
      lines.forEach((l, i) => {
        if (i > 0) p.append(el("br"));
        appendInline(p, l);
      });
      fragment.append(p);
    }
    return fragment;
  }

  /** The body without its first line when that line is just the bold title (shown as the card heading). */
  function withoutTitleLine(title, body) {
    const text = String(body || "");
    const firstBreak = text.indexOf("\n");
    const first = (firstBreak < 0 ? text : text.slice(0, firstBreak)).trim();
    if (first === `**${String(title || "").trim()}**`) return firstBreak < 0 ? "" : text.slice(firstBreak + 1);
    return text;
  }

  /** Splits `text` into [{text, hit}] segments where any of `phrases` occurs (case-insensitive). */
  function highlightSegments(text, phrases) {
    const source = String(text || "");
    const lower = source.toLowerCase();
    const ranges = [];
    for (const phrase of phrases || []) {
      const needle = String(phrase).toLowerCase().trim();
      if (!needle) continue;
      let from = 0;
      for (;;) {
        const at = lower.indexOf(needle, from);
        if (at < 0) break;
        ranges.push([at, at + needle.length]);
        from = at + needle.length;
      }
    }
    ranges.sort((a, b) => a[0] - b[0]);
    const merged = [];
    for (const r of ranges) {
      const top = merged[merged.length - 1];
      if (top && r[0] <= top[1]) top[1] = Math.max(top[1], r[1]);
      else merged.push([r[0], r[1]]);
    }
    const segments = [];
    let at = 0;
    for (const [start, end] of merged) {
      if (start > at) segments.push({ text: source.slice(at, start), hit: false });
      segments.push({ text: source.slice(start, end), hit: true });
      at = end;
    }
    if (at < source.length) segments.push({ text: source.slice(at), hit: false });
    return segments;
  }

  /** The transcript excerpt with key phrases in <mark>. */
  function highlighted(text, phrases) {
    const node = el("div", "transcript");
    for (const s of highlightSegments(text, phrases)) {
      node.append(s.hit ? el("mark", null, s.text) : document.createTextNode(s.text));
    }
    return node;
  }

  /** "modified 3 days ago" from an RFC 3339 time. */
  function age(rfc3339, now) {
    const then = Date.parse(rfc3339 || "");
    if (Number.isNaN(then)) return "modification date unknown";
    const minutes = Math.max(0, Math.round(((now || Date.now()) - then) / 60000));
    const plural = (n, unit) => `${n} ${unit}${n === 1 ? "" : "s"} ago`;
    if (minutes < 60) return minutes < 2 ? "modified just now" : "modified " + plural(minutes, "minute");
    const hours = Math.round(minutes / 60);
    if (hours < 24) return "modified " + plural(hours, "hour");
    const days = Math.round(hours / 24);
    if (days < 60) return "modified " + plural(days, "day");
    return "modified " + plural(Math.round(days / 30), "month");
  }

  /** "2026-11-28 10:42" in local time. */
  function shortTime(rfc3339) {
    const t = new Date(rfc3339 || "");
    if (Number.isNaN(t.getTime())) return "—";
    const pad = (n) => String(n).padStart(2, "0");
    return `${t.getFullYear()}-${pad(t.getMonth() + 1)}-${pad(t.getDate())} ${pad(t.getHours())}:${pad(t.getMinutes())}`;
  }

  return { el, safeUrl, link, markdown, withoutTitleLine, highlightSegments, highlighted, age, shortTime };
})();
