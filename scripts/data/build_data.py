#!/usr/bin/env python3
"""Rebuild the Supervisor Assist demo / dev data from Debian registry packages.

Sources (Debian 12 "bookworm", main):
  * gnome-user-docs 43.0-2  -- GNOME Help + GNOME System Administration Guide
                               (Mallard XML), licence CC-BY-SA-3.0
  * debian-faq 11.1          -- The Debian GNU/Linux FAQ (DocBook-generated
                               XHTML), SPI permissive verbatim/modified-copy
                               notice (see data/README.md)

Usage (from the repo root, needs apt lists: run `apt-get update` once):

    python3 scripts/data/build_data.py            # downloads the .debs
    python3 scripts/data/build_data.py --deb-dir DIR   # reuse downloaded .debs

Only the Python 3 standard library plus `apt-get` and `dpkg-deb` are used.
The output is deterministic: same .debs -> byte-identical JSONL files.
"""

from __future__ import annotations

import argparse
import glob
import hashlib
import html
import json
import os
import random
import re
import shutil
import subprocess
import sys
import tempfile
import xml.etree.ElementTree as ET
from html.parser import HTMLParser
from pathlib import Path

REPO = Path(__file__).resolve().parents[2]
OUT = REPO / "data"

PACKAGES = {
    # name: (version, sha256 of the .deb)
    "gnome-user-docs": (
        "43.0-2",
        "0d635a840747958ca84da778b40d341f1155603851f922c9a171f5a181d6a39f",
    ),
    "debian-faq": (
        "11.1",
        "427426e0cfa6888622fc1d72631071cb4b5a1f86ccde722e7820bcef284de5d0",
    ),
}

# Release date of debian-faq 11.1 (from its debian/changelog); the FAQ pages
# carry no per-question dates.
DEBIAN_FAQ_DATE = "2023-02-05"

MAL = "{http://projectmallard.org/1.0/}"
IFNS = "{http://projectmallard.org/if/1.0/}"
XINC = "{http://www.w3.org/2001/XInclude}"

# Pages that are about the help system itself, not about a user problem.
SKIP_PAGES = {"about-this-guide", "get-involved", "translate", "help-irc",
              "help-mailing-list"}
# Debian FAQ chapters that are about the FAQ / project roadmap.
SKIP_FAQ_FILES = {"faqinfo.en.html", "nextrelease.en.html", "index.en.html"}

MIN_WORDS = 40


# --------------------------------------------------------------------------
# Fetching
# --------------------------------------------------------------------------

def sha256(path: Path) -> str:
    h = hashlib.sha256()
    with open(path, "rb") as f:
        for chunk in iter(lambda: f.read(1 << 20), b""):
            h.update(chunk)
    return h.hexdigest()


def fetch_debs(deb_dir: Path | None, work: Path) -> dict[str, Path]:
    debs = {}
    dl = deb_dir or (work / "debs")
    dl.mkdir(parents=True, exist_ok=True)
    for name, (ver, digest) in PACKAGES.items():
        fname = f"{name}_{ver.replace(':', '%3a')}_all.deb"
        path = dl / fname
        if not path.exists():
            subprocess.run(["apt-get", "download", f"{name}={ver}"],
                           cwd=dl, check=True)
        got = sha256(path)
        if got != digest:
            sys.exit(f"sha256 mismatch for {path}: {got} != {digest}")
        debs[name] = path
    return debs


def extract(debs: dict[str, Path], work: Path) -> dict[str, Path]:
    roots = {}
    for name, deb in debs.items():
        root = work / f"x-{name}"
        if root.exists():
            shutil.rmtree(root)
        subprocess.run(["dpkg-deb", "-x", str(deb), str(root)], check=True)
        roots[name] = root
    return roots


# --------------------------------------------------------------------------
# Mallard (GNOME help) -> light markdown
# --------------------------------------------------------------------------

def norm_ws(s: str) -> str:
    return " ".join(s.split())


def local(tag: str) -> str:
    return tag.split("}", 1)[1] if "}" in tag else tag


CODEISH = {"cmd", "code", "file", "input", "output", "sys", "filename"}


class MallardRenderer:
    def __init__(self, titles: dict[str, str], snippets: dict[str, ET.Element]):
        self.titles = titles          # page id -> title (for empty <link xref>)
        self.snippets = snippets      # xml:id -> element (dconf-snippets.xml)

    # ---- inline ----
    def inline(self, el: ET.Element, in_code: bool = False) -> str:
        parts = [el.text or ""]
        for ch in el:
            parts.append(self.inline_el(ch, in_code))
            parts.append(ch.tail or "")
        return "".join(parts)

    def inline_el(self, el: ET.Element, in_code: bool) -> str:
        name = local(el.tag)
        if el.tag.startswith(IFNS):
            return self.inline_if(el, in_code)
        if name in ("media", "comment", "info", "desc") or el.tag.startswith(XINC):
            return ""
        if name == "keyseq":
            keys = [norm_ws(self.inline(k, True)) for k in el]
            keys = [k for k in keys if k]
            return "+".join(keys) if keys else norm_ws(self.inline(el, True))
        if name == "guiseq":
            items = [norm_ws(self.inline(k, in_code)) for k in el]
            items = [k for k in items if k]
            return " ▸ ".join(items)
        if name == "link":
            txt = self.inline(el, in_code)
            if norm_ws(txt):
                return txt
            xref = (el.get("xref") or "").split("#")[0]
            return self.titles.get(xref, el.get("href") or xref)
        if name in CODEISH and not in_code:
            txt = norm_ws(self.inline(el, True))
            return f"`{txt}`" if txt else ""
        if name == "em" and not in_code:
            txt = norm_ws(self.inline(el, in_code))
            return f"*{txt}*" if txt else ""
        return self.inline(el, in_code)

    def inline_if(self, el: ET.Element, in_code: bool) -> str:
        chosen = self.choose(el)
        return "".join(self.inline(c, in_code) for c in chosen)

    @staticmethod
    def choose(el: ET.Element) -> list[ET.Element]:
        """Resolve Mallard conditionals for a default (non-classic) GNOME desktop."""
        name = local(el.tag)
        if name == "if":
            return [el] if MallardRenderer.test_ok(el.get("test", "")) else []
        if name == "choose":
            for ch in el:
                n = local(ch.tag)
                if n == "when" and MallardRenderer.test_ok(ch.get("test", "")):
                    return [ch]
                if n == "else":
                    return [ch]
            return []
        return [el]

    @staticmethod
    def test_ok(test: str) -> bool:
        """Mallard test: comma-separated tokens, true if any token is true.
        We render for a standard (non-Classic) GNOME session, no install action."""
        for tok in test.split(","):
            tok = tok.strip()
            neg = tok.startswith("!")
            val = tok.lstrip("!") in ("platform:gnome",)
            if val != neg:
                return True
        return False

    # ---- blocks ----
    def blocks(self, el: ET.Element, out: list[str], depth: int = 2) -> None:
        # loose text directly inside a block container
        if el.text and norm_ws(el.text):
            out.append(norm_ws(el.text))
        for ch in el:
            self.block(ch, out, depth)
            if ch.tail and norm_ws(ch.tail):
                out.append(norm_ws(ch.tail))

    def block(self, el: ET.Element, out: list[str], depth: int) -> None:
        name = local(el.tag)
        if el.tag.startswith(IFNS):
            for c in self.choose(el):
                self.blocks(c, out, depth)
            return
        if el.tag.startswith(XINC):
            ptr = el.get("xpointer")
            if ptr and ptr in self.snippets:
                self.block(self.snippets[ptr], out, depth)
            return
        if name in ("info", "comment", "media", "links", "desc", "figure-media"):
            return
        if name == "title":
            t = norm_ws(self.inline(el))
            if t:
                out.append("#" * min(depth, 4) + " " + t)
            return
        if name == "subtitle":
            return
        if name == "section":
            title = el.find(MAL + "title")
            if title is not None:
                out.append("#" * min(depth, 4) + " " + norm_ws(self.inline(title)))
            for ch in el:
                if ch is title:
                    continue
                self.block(ch, out, depth + 1)
            return
        if name == "p":
            t = norm_ws(self.inline(el))
            if t:
                out.append(t)
            return
        if name in ("code", "screen"):
            txt = self.inline(el, True).strip("\n")
            if txt.strip():
                out.append("```\n" + txt + "\n```")
            return
        if name == "steps":
            n = 0
            for item in el:
                if local(item.tag) != "item":
                    self.block(item, out, depth)
                    continue
                n += 1
                out.append(self.item_text(item, f"{n}. ", depth))
            return
        if name == "list":
            for item in el:
                if local(item.tag) != "item":
                    self.block(item, out, depth)
                    continue
                out.append(self.item_text(item, "- ", depth))
            return
        if name == "terms":
            for item in el:
                if local(item.tag) != "item":
                    self.block(item, out, depth)
                    continue
                terms = [norm_ws(self.inline(t)) for t in item
                         if local(t.tag) == "title"]
                body: list[str] = []
                for ch in item:
                    if local(ch.tag) != "title":
                        self.block(ch, body, depth)
                head = " / ".join(t for t in terms if t)
                out.append(f"- **{head}**: " + " ".join(body) if head
                           else "- " + " ".join(body))
            return
        if name == "note":
            body: list[str] = []
            self.blocks(el, body, depth)
            style = el.get("style", "")
            label = "Warning" if "warning" in style else "Tip" if "tip" in style else "Note"
            if body:
                out.append(f"> **{label}:** " + " ".join(body))
            return
        if name == "table":
            rows: list[str] = []
            for tr in el.iter(MAL + "tr"):
                cells = []
                for td in tr:
                    cb: list[str] = []
                    self.blocks(td, cb, depth)
                    cells.append(" ".join(cb))
                if any(cells):
                    rows.append("| " + " | ".join(cells) + " |")
            if rows:
                ncol = rows[0].count(" | ") + 1
                rows.insert(1, "|" + "---|" * ncol)
                out.append("\n".join(rows))
            return
        if name in ("example", "listing", "figure", "synopsis", "item", "div",
                    "quote", "td", "tr", "tbody", "thead"):
            self.blocks(el, out, depth)
            return
        # unknown inline-ish element at block level
        t = norm_ws(self.inline(el))
        if t:
            out.append(t)

    def item_text(self, item: ET.Element, prefix: str, depth: int) -> str:
        body: list[str] = []
        self.blocks(item, body, depth)
        lines = []
        for i, b in enumerate(body):
            if i == 0:
                lines.append(prefix + b)
            else:
                lines.append("   " + b.replace("\n", "\n   "))
        return "\n".join(lines) if lines else prefix.strip()


def parse_mallard(root: Path) -> tuple[list[dict], dict[str, dict]]:
    """Return (articles, meta by id)."""
    base = root / "usr/share/help/C"
    books = [("gnome-help", "gnome-"), ("system-admin-guide", "gnome-admin-")]
    trees = {}
    titles = {}
    for book, prefix in books:
        for f in sorted((base / book).glob("*.page")):
            tree = ET.parse(f)
            page = tree.getroot()
            pid = page.get("id") or f.stem
            trees[(book, pid)] = page
            t = page.find(MAL + "title")
            titles[pid] = norm_ws("".join(t.itertext())) if t is not None else pid
    snippets = {}
    sn = base / "system-admin-guide" / "dconf-snippets.xml"
    if sn.exists():
        for el in ET.parse(sn).getroot().iter():
            xid = el.get("{http://www.w3.org/XML/1998/namespace}id")
            if xid:
                snippets[xid] = el
    r = MallardRenderer(titles, snippets)

    articles, meta = [], {}
    for (book, pid), page in sorted(trees.items()):
        if page.get("type", "topic") != "topic" or pid in SKIP_PAGES:
            continue
        prefix = dict(books)[book]
        aid = prefix + pid
        info = page.find(MAL + "info")
        desc = ""
        dates = []
        seealso, guides = [], []
        if info is not None:
            d = info.find(MAL + "desc")
            if d is not None:
                desc = norm_ws(r.inline(d))
            for rev in info.findall(MAL + "revision"):
                if re.fullmatch(r"\d{4}-\d{2}-\d{2}", rev.get("date", "")):
                    dates.append(rev.get("date"))
            for ln in info.findall(MAL + "link"):
                xref = (ln.get("xref") or "").split("#")[0]
                if ln.get("type") == "seealso" and xref:
                    seealso.append(xref)
                if ln.get("type") == "guide" and xref:
                    guides.append(xref)
        title = titles[pid]
        body: list[str] = []
        sections = []
        for ch in page:
            if local(ch.tag) in ("info", "title"):
                continue
            if local(ch.tag) == "section":
                st = ch.find(MAL + "title")
                if st is not None:
                    sections.append(norm_ws("".join(st.itertext())))
            r.block(ch, body, 2)
        # in-body links of type seealso (inside <links> are skipped; this is
        # enough for the conversation builder)
        desc_txt = desc.replace("*", "")
        content = "\n\n".join(([f"*{desc_txt}*"] if desc_txt else []) + body)
        content = re.sub(r"\n{3,}", "\n\n", content).strip()
        words = len(content.split())
        if words < MIN_WORDS:
            continue
        updated = max(dates) if dates else "2023-04-15"
        articles.append({
            "id": aid,
            "title": title,
            "content": content,
            "updated_at": f"{updated}T00:00:00Z",
        })
        meta[aid] = {
            "source": book, "page": pid, "title": title, "desc": desc,
            "style": page.get("style", ""), "sections": sections,
            "seealso": [prefix + s for s in seealso],
            "guides": guides, "first_step": first_step(body),
            "second_step": nth_step(body, 2),
        }
    # resolve seealso to existing ids only
    for m in meta.values():
        m["seealso"] = [s for s in m["seealso"] if s in meta]
    return articles, meta


def nth_step(body: list[str], n: int) -> str:
    for b in body:
        if b.startswith(f"{n}. "):
            return b[len(f"{n}. "):].split("\n")[0]
    return ""


def first_step(body: list[str]) -> str:
    for b in body:
        if b.startswith("1. "):
            s = b[3:].split("\n")[0]
            return s
    return ""


# --------------------------------------------------------------------------
# Debian FAQ (XHTML) -> light markdown, one article per numbered question
# --------------------------------------------------------------------------

class FaqHTML(HTMLParser):
    """Flattens a DocBook XHTML chapter into blocks, marking h2/h3 headings."""

    def __init__(self):
        super().__init__(convert_charrefs=True)
        self.blocks: list[tuple[str, str]] = []  # (kind, text)
        self.buf: list[str] = []
        self.kind = None
        self.skip = 0
        self.pre = 0
        self.list_stack: list[list] = []
        self.in_body = False

    def flush(self):
        txt = "".join(self.buf)
        self.buf = []
        if self.kind is None:
            return
        if self.kind == "pre":
            if txt.strip("\n").strip():
                self.blocks.append(("pre", txt.strip("\n")))
        else:
            t = norm_ws(txt)
            if t:
                self.blocks.append((self.kind, t))
        self.kind = None

    def handle_starttag(self, tag, attrs):
        a = dict(attrs)
        cls = a.get("class", "")
        if tag == "body":
            self.in_body = True
        if not self.in_body:
            return
        if self.skip:
            if tag == "div":
                self.skip += 1
            return
        if tag == "div" and cls in ("navheader", "navfooter", "toc"):
            self.skip = 1
            return
        if tag in ("h1", "h2", "h3", "h4"):
            self.flush()
            self.kind = tag
        elif tag == "pre":
            self.flush()
            self.kind = "pre"
            self.pre += 1
        elif tag == "p" and not self.pre:
            if self.kind not in ("li",):
                self.flush()
                self.kind = "p"
            else:
                self.buf.append(" ")
        elif tag in ("ul", "ol"):
            self.flush()
            self.list_stack.append([tag, 0])
        elif tag == "li":
            self.flush()
            if self.list_stack:
                self.list_stack[-1][1] += 1
            self.kind = "li"
            lt = self.list_stack[-1] if self.list_stack else ["ul", 0]
            indent = "   " * (len(self.list_stack) - 1)
            self.buf.append(indent + (f"{lt[1]}. " if lt[0] == "ol" else "- "))
        elif tag == "code" and not self.pre and self.kind:
            self.buf.append("`")
        elif tag == "dt":
            self.flush()
            self.kind = "dt"
        elif tag == "dd":
            self.flush()
            self.kind = "p"
        elif tag == "br":
            self.buf.append("\n" if self.pre else " ")

    def handle_endtag(self, tag):
        if not self.in_body:
            return
        if self.skip:
            if tag == "div":
                self.skip -= 1
            return
        if tag in ("h1", "h2", "h3", "h4", "p", "li", "dt"):
            if not (tag == "p" and self.kind == "li"):
                self.flush()
        elif tag == "pre":
            self.pre -= 1
            self.flush()
        elif tag in ("ul", "ol"):
            self.flush()
            if self.list_stack:
                self.list_stack.pop()
        elif tag == "code" and not self.pre and self.kind:
            self.buf.append("`")

    def handle_data(self, data):
        if not self.in_body or self.skip:
            return
        if self.kind is None:
            if not norm_ws(data):
                return
            self.kind = "p"
        self.buf.append(data)


def first_sentences(text: str, n: int) -> str:
    parts = re.split(r"(?<=[.!?])\s+(?=[A-Z])", text.strip())
    return " ".join(parts[:n])


HEAD_NUM = re.compile(r"^(\d+)\.(\d+)(?:\.(\d+))?\.\s+(.*)$")


def parse_faq(root: Path) -> tuple[list[dict], dict[str, dict]]:
    base = root / "usr/share/doc/debian/FAQ"
    articles, meta = [], {}
    for f in sorted(base.glob("*.en.html")):
        if f.name in SKIP_FAQ_FILES:
            continue
        p = FaqHTML()
        p.feed(f.read_text(encoding="utf-8"))
        p.flush()
        chapter = ""
        cur = None
        for kind, text in p.blocks:
            if kind == "h1":
                chapter = re.sub(r"^Chapter\s+\d+\.\s*", "", text)
                continue
            if kind == "h2":
                m = HEAD_NUM.match(text)
                if not m:
                    continue
                cur = {"num": (int(m.group(1)), int(m.group(2))),
                       "title": m.group(4).strip(), "body": [], "subs": [],
                       "chapter": chapter}
                articles.append(cur)
                continue
            if cur is None:
                continue
            if kind == "h3":
                m = HEAD_NUM.match(text)
                t = m.group(4).strip() if m else text
                cur["subs"].append(t)
                cur["body"].append("### " + t)
            elif kind == "h4":
                cur["body"].append("#### " + text)
            elif kind == "pre":
                cur["body"].append("```\n" + text + "\n```")
            elif kind == "dt":
                cur["body"].append("**" + text + "**")
            else:
                cur["body"].append(text)
    out, outmeta = [], {}
    for a in articles:
        c, s = a["num"]
        aid = f"debian-faq-{c}-{s}"
        content = "\n\n".join(a["body"]).strip()
        if len(content.split()) < MIN_WORDS:
            continue
        out.append({
            "id": aid,
            "title": a["title"],
            "content": f"*Debian FAQ, chapter {c}: {a['chapter']}*\n\n" + content,
            "updated_at": f"{DEBIAN_FAQ_DATE}T00:00:00Z",
        })
        first_p = next((b for b in a["body"] if not b.startswith(("#", "`", "-", "*"))), "")
        outmeta[aid] = {"source": "debian-faq", "title": a["title"],
                        "answer": first_sentences(first_p, 2),
                        "subs": a["subs"], "chapter": a["chapter"]}
    return out, outmeta


# --------------------------------------------------------------------------
# Synthetic hostile article (UI inertness test)
# --------------------------------------------------------------------------

XSS_ARTICLE = {
    "id": "KB-XSS-TEST",
    "title": "Rendering test: hostile markup <script>alert(0)</script>",
    "content": (
        "SYNTHETIC TEST ARTICLE - not from any real knowledge base. It exists "
        "to check that article text is rendered inert by the UI.\n\n"
        "If you can read this sentence as plain text, the normal text renders "
        "correctly. The next lines must appear literally and must not execute:"
        "\n\n<script>alert(1)</script>\n\n"
        "<img src=x onerror=alert(2)>\n\n"
        "A markdown link that must not be clickable as JavaScript: "
        "[link](javascript:alert(3))\n\n"
        "Troubleshooting text for keyword matching: if the customer cannot "
        "hear any sounds on the computer, check that the sound is not muted."
    ),
    "updated_at": "2024-01-01T00:00:00Z",
}


# --------------------------------------------------------------------------
# Transcript generation
# --------------------------------------------------------------------------
#
# No public customer-support dialogue corpus ships in a Debian/PyPI/npm
# package with a licence we can redistribute, so transcripts are generated
# mechanically FROM THE KB SOURCE: the caller's problem statement is the
# article's own title (or a section heading / FAQ question) turned into
# first-person speech, and the agent's instructions are the article's own
# numbered steps. Greetings, fillers and closings come from the fixed phrase
# lists below. Every label is therefore the article the text came from.

KEEP_CASE = {"GNOME", "Bluetooth", "VPN", "Wacom", "Debian", "DVD", "DVDs",
             "CD", "IP", "MIME", "GSettings", "IRC", "Wi-Fi", "WEP", "WPA",
             "MAC", "NFS", "Ethernet", "Linux", "APT", "I", "I’ve", "I've",
             "I'm", "I’m", "I’d", "Windows", "Mac", "Internet", "Knoppix",
             "Contacts", "Files", "Braille", "Java", "Perl", "Python"}

IMPERATIVE = set("""add adjust allow automatically browse cancel change check
choose clear click configure connect control copy create customize debug
define delete determine dim disable disallow disconnect display edit enable
enter find flash get have hide link lock log make manage manually map magnify
maximize move open override pin preview print purge read recover remove rename
repair restore safely search select send set share show simulate sort start
store switch test tile turn use wipe write""".split())

NAMES = ["Sam", "Priya", "Jordan", "Alex", "Maria", "Chen", "Fatima", "Tom",
         "Olivia", "Diego", "Hannah", "Kwame", "Lena", "Raj", "Grace"]

AGENT_GREET = [
    "Thank you for calling the IT help desk, this is {a}. How can I help you today?",
    "Help desk, {a} speaking. What can I do for you?",
    "Hi, you're through to desktop support, my name is {a}. What's going on?",
    "Good morning, IT service desk, {a} here. How can I help?",
    "Hello, thanks for holding. This is {a} from support, how can I help?",
]
CUST_OPEN = [  # {P}: statement with capital first letter, {p}: lower-case
    "Hi {a}. {P}",
    "Hi, yeah, um, {p}",
    "Hello. So, {p}",
    "Hey, thanks. {P}",
    "Hi there. I hope you can help. {P}",
    "Yeah hi, {p}",
]
AGENT_PROBE_PROBLEM = [
    "Okay, I'm sorry about that. Can you tell me a bit more about what you're seeing?",
    "Alright, that's annoying. When did this start?",
    "Okay. And is this happening every time, or just now and then?",
    "Got it. Have you tried anything yet, or is this the first time it's come up?",
]
AGENT_PROBE_HOWTO = [
    "Sure, I can help with that. Are you on the laptop or the desktop right now?",
    "No problem. Is this on your work computer?",
    "Of course. Are you in front of the computer at the moment?",
    "Yep, we can do that together. Have you got the machine logged in?",
]
CUST_DETAIL_PROBLEM = [
    "It started after the last update, I think.",
    "Every time, pretty much. It's really getting in the way of my work.",
    "I restarted it already and it didn't help.",
    "Since this morning. Nothing's changed that I know of.",
    "Just now and then, but it happened twice today already.",
]
CUST_DETAIL_HOWTO = [
    "Yes, I'm logged in. I've just never done this on this machine.",
    "Yeah, the laptop. I used to know how, but everything looks different since the upgrade.",
    "Yes, it's my work computer. A colleague said it was easy but I can't find it.",
    "Yep, I'm at my desk. I looked around in the settings but got a bit lost.",
]
CUST_DETAIL_SECTION = [
    "I'm not sure, but {d}",
    "Well, {d}",
    "Hmm. I think {d}",
]
AGENT_STEP = [
    "Okay, let's try this first. {s}",
    "Alright, bear with me. Let's start here: {s}",
    "Let's walk through it together. {s}",
    "I've got the article up. First step: {s}",
]
AGENT_STEP2 = [
    "Great. Next, {s}",
    "Okay, now {s}",
    "Perfect. Then {s}",
]
AGENT_ANSWER = [
    "Good question. So, according to our knowledge base: {s}",
    "Let me read you the short version. {s}",
    "Sure. Basically, {s}",
]
CUST_ACK = [
    "Okay, hang on... right, I see it.",
    "Okay, doing that now.",
    "Mm-hm, okay, yeah, I've got that open.",
    "Right, okay. Give me a second.",
    "Okay... yep, done.",
]
CUST_ACK_ANSWER = [
    "Oh okay, that makes sense.",
    "Right, I didn't know that. Thanks.",
    "Okay, got it.",
]
AGENT_NEXT = [
    "Great. Is there anything else I can help with while I have you?",
    "Perfect. Anything else going on with the machine?",
    "Good. Was there anything else today?",
]
CUST_SECOND = [
    "Actually, yes, one more thing. {P}",
    "Oh, while I have you, {p}",
    "Yeah, actually, {p}",
]
AGENT_CLOSE = [
    "No problem, I'll send you the link to the article as well. Have a good day!",
    "You're welcome. I'll note that on the ticket. Take care!",
    "Glad we sorted it. I'll close the ticket then. Bye now!",
]
CUST_CLOSE = [
    "That's it, thanks so much.",
    "No, that's everything. Thanks!",
    "Nope, that's all. Thank you.",
]

PROBLEM_STARTS = ("i", "i’ve", "i've", "my", "i’m", "i'm", "other", "the",
                  "mouse", "media", "clearing", "problems")


def lc_first(s: str) -> str:
    w = s.split(" ", 1)[0].strip("“”\"'(")
    if w in KEEP_CASE or w.isupper() or any(c.isupper() for c in w[1:]):
        return s
    return s[:1].lower() + s[1:]


def uc_first(s: str) -> str:
    return s[:1].upper() + s[1:]


def first_person(s: str) -> str:
    s = re.sub(r"\byour\b", "my", s)
    s = re.sub(r"\bYour\b", "My", s)
    return s


def is_problem(title: str, style: str = "") -> bool:
    first = title.split(" ", 1)[0].lower().strip("“”\"'")
    return "problem" in style or first in PROBLEM_STARTS


def problem_statement(title: str, rng: random.Random) -> str:
    """Turn a KB title / FAQ question into what a caller would say.

    Returned with a lower-case first letter (unless a proper noun); callers
    capitalise with uc_first() when it starts a sentence."""
    t = first_person(title.strip().rstrip("."))
    first = t.split(" ", 1)[0].lower().strip("“”\"'(")
    tl = lc_first(t)
    if t.endswith("?"):
        tpl = ["{tl}", "I was wondering, {tl}", "quick question: {tl}",
               "I wanted to ask, {tl}"]
    elif first in ("i", "i’ve", "i've", "my", "i’m", "i'm", "other"):
        tpl = ["{tl}.", "so basically {tl}.", "{tl}, and I'm not sure what to do."]
    elif first in IMPERATIVE:
        tpl = ["I need to {tl} and I can't figure out how.", "how do I {tl}?",
               "can you walk me through how to {tl}?",
               "I'm trying to {tl}. Where do I do that?"]
    elif first in PROBLEM_STARTS:
        tpl = ["I've got an issue: {tl}.", "it's this: {tl}.",
               "I'm having a problem. {T}."]
    else:
        tpl = ["I have a question about {tl}.", "I need some help with {tl}.",
               "someone told me to call you about {tl}."]
    out = rng.choice(tpl).format(tl=tl, T=uc_first(t))
    return lc_first(out) if not out.startswith("I ") else out


def fill(tpl: str, stmt: str, **kw) -> str:
    return tpl.format(P=uc_first(stmt), p=stmt, **kw)


def clean_step(s: str) -> str:
    s = s.replace("`", "").replace("*", "")
    s = re.sub(r"\s+", " ", s).strip()
    if s.endswith(":"):
        s = s[:-1] + "."
    return s


def section_statement(sec: str) -> str:
    return lc_first(first_person(sec.strip().rstrip("."))) + "."


def build_demo_conversations(gmeta: dict[str, dict], fmeta: dict[str, dict],
                             n_gnome: int, n_faq: int) -> list[dict]:
    """Multi-turn help-desk calls.

    GNOME calls: issue 1 = a help page (title -> caller statement, numbered
    steps -> agent turns). About half of the calls raise a second issue: a page
    the first page links as `seealso`, else a sibling page under the same
    help topic (`guide` link). Debian FAQ calls: the caller asks the FAQ
    question, the agent answers with the opening of the FAQ answer.
    `relevant` = exactly the articles the turns were generated from.
    """
    rng = random.Random(20240601)
    cands = sorted(a for a, m in gmeta.items() if m["first_step"])
    rng.shuffle(cands)
    by_guide: dict[str, list[str]] = {}
    for aid in sorted(gmeta):
        for g in gmeta[aid]["guides"]:
            by_guide.setdefault(g, []).append(aid)
    convs = []

    def steps_turns(m: dict, turns: list[dict], first_tpl: list[str]) -> None:
        turns.append({"speaker": "agent", "text": rng.choice(first_tpl).format(
            s=clean_step(m["first_step"]))})
        turns.append({"speaker": "customer", "text": rng.choice(CUST_ACK)})
        if m["second_step"]:
            s2 = clean_step(m["second_step"])
            turns.append({"speaker": "agent",
                          "text": rng.choice(AGENT_STEP2).format(s=lc_first(s2))})
            turns.append({"speaker": "customer", "text": rng.choice(CUST_ACK)})

    used_first: list[str] = []
    for aid in cands:
        if len(used_first) >= n_gnome:
            break
        m = gmeta[aid]
        i = len(convs)
        agent = NAMES[i % len(NAMES)]
        prob = is_problem(m["title"], m["style"])
        stmt = problem_statement(m["title"], rng)
        turns = [{"speaker": "agent", "text": rng.choice(AGENT_GREET).format(a=agent)},
                 {"speaker": "customer", "text": fill(rng.choice(CUST_OPEN), stmt, a=agent)}]
        turns.append({"speaker": "agent", "text": rng.choice(
            AGENT_PROBE_PROBLEM if prob else AGENT_PROBE_HOWTO)})
        secs = [x for x in m["sections"] if len(x.split()) >= 3
                and x.split(" ", 1)[0].lower() not in IMPERATIVE]
        if prob and secs:
            detail = fill(rng.choice(CUST_DETAIL_SECTION), "",
                          d=section_statement(rng.choice(secs)))
        else:
            detail = rng.choice(CUST_DETAIL_PROBLEM if prob else CUST_DETAIL_HOWTO)
        turns.append({"speaker": "customer", "text": detail})
        steps_turns(m, turns, AGENT_STEP)
        relevant = [aid]
        if i % 2 == 0:
            rel = [x for x in m["seealso"] if x != aid and gmeta[x]["first_step"]]
            if not rel:
                sib = sorted({x for g in m["guides"] for x in by_guide.get(g, [])
                              if x != aid and gmeta[x]["first_step"]})
                rel = [rng.choice(sib)] if sib else []
            if rel:
                m2 = gmeta[rel[0]]
                stmt2 = problem_statement(m2["title"], rng)
                turns.append({"speaker": "agent", "text": rng.choice(AGENT_NEXT)})
                turns.append({"speaker": "customer",
                              "text": fill(rng.choice(CUST_SECOND), stmt2)})
                steps_turns(m2, turns, AGENT_STEP)
                relevant.append(rel[0])
        turns.append({"speaker": "agent", "text": rng.choice(AGENT_NEXT)})
        turns.append({"speaker": "customer", "text": rng.choice(CUST_CLOSE)})
        turns.append({"speaker": "agent", "text": rng.choice(AGENT_CLOSE)})
        convs.append({"id": "", "turns": turns, "relevant": relevant})
        used_first.append(aid)

    fcands = sorted(a for a, m in fmeta.items()
                    if m["title"].endswith("?") and len(m["answer"].split()) >= 8)
    rng.shuffle(fcands)
    for aid in fcands[:n_faq]:
        m = fmeta[aid]
        i = len(convs)
        agent = NAMES[i % len(NAMES)]
        stmt = problem_statement(m["title"], rng)
        turns = [{"speaker": "agent", "text": rng.choice(AGENT_GREET).format(a=agent)},
                 {"speaker": "customer", "text": fill(rng.choice(CUST_OPEN), stmt, a=agent)},
                 {"speaker": "agent", "text": rng.choice(AGENT_ANSWER).format(
                     s=clean_step(m["answer"]))},
                 {"speaker": "customer", "text": rng.choice(CUST_ACK_ANSWER)},
                 {"speaker": "agent", "text": rng.choice(AGENT_NEXT)},
                 {"speaker": "customer", "text": rng.choice(CUST_CLOSE)},
                 {"speaker": "agent", "text": rng.choice(AGENT_CLOSE)}]
        convs.append({"id": "", "turns": turns, "relevant": [aid]})

    # interleave deterministically so the demo list mixes both kinds
    rng.shuffle(convs)
    for i, c in enumerate(convs):
        c["id"] = f"conv-{i + 1:03d}"
    return convs


DEV_AGENT_OPEN = [
    "Service desk, how can I help?",
    "IT support, what seems to be the problem?",
    "Hi, this is support. What can I do for you?",
]
DEV_AGENT_FOLLOW = [
    "Okay, let me look that up for you.",
    "Sure, one moment while I find the right article.",
    "Alright, let me check our knowledge base.",
    "Got it. Let me pull up the steps.",
]


def build_dev_queries(gmeta: dict[str, dict], fmeta: dict[str, dict],
                      demo_ids: set[str]) -> list[dict]:
    """Retrieval queries whose labels come from the source structure.

    kinds:
      title    - caller states the title of a GNOME help page; relevant =
                 every page carrying exactly that title.
      section  - caller states a (non-imperative) section heading of a GNOME
                 problem/question page; relevant = the page containing it.
      faq      - caller asks a numbered Debian FAQ question; relevant = that
                 question's article.
      faq-sub  - caller asks a question-form sub-heading inside a Debian FAQ
                 answer; relevant = the article containing it.
    Articles used by a demo conversation are skipped, so no dev query repeats
    a demo opening.
    """
    rng = random.Random(777)
    by_title: dict[str, list[str]] = {}
    for aid, m in gmeta.items():
        by_title.setdefault(m["title"].lower(), []).append(aid)
    items = []
    for aid in sorted(gmeta):
        if aid in demo_ids:
            continue
        m = gmeta[aid]
        items.append(("title", m["title"], sorted(by_title[m["title"].lower()])))
    for aid in sorted(gmeta):
        m = gmeta[aid]
        if "problem" not in m["style"] and "question" not in m["style"]:
            continue
        for sec in m["sections"]:
            if len(sec.split()) >= 3 and sec.split(" ", 1)[0].lower() not in IMPERATIVE:
                items.append(("section", sec, [aid]))
    for aid in sorted(fmeta, key=lambda a: [int(x) for x in a.split("-")[2:]]):
        m = fmeta[aid]
        if m["title"].endswith("?") and aid not in demo_ids:
            items.append(("faq", m["title"], [aid]))
        for sub in m["subs"]:
            if sub.endswith("?"):
                items.append(("faq-sub", sub, [aid]))
    queries = []
    seen = set()
    for kind, text, rel in items:
        key = text.lower()
        if key in seen:
            continue
        seen.add(key)
        if kind == "section":
            stmt = rng.choice([
                "{T}",
                "so, um, {tl}",
                "basically: {tl}",
            ]).format(T=uc_first(section_statement(text)), tl=section_statement(text))
        else:
            stmt = problem_statement(text, rng)
        transcript = "\n".join([
            "agent: " + rng.choice(DEV_AGENT_OPEN),
            "customer: " + uc_first(stmt),
            "agent: " + rng.choice(DEV_AGENT_FOLLOW),
        ])
        queries.append({"qid": f"q{len(queries) + 1:03d}", "transcript": transcript,
                        "relevant": rel, "kind": kind})
    return queries


# --------------------------------------------------------------------------

def write_jsonl(path: Path, rows: list[dict]) -> None:
    path.parent.mkdir(parents=True, exist_ok=True)
    with open(path, "w", encoding="utf-8", newline="\n") as f:
        for r in rows:
            f.write(json.dumps(r, ensure_ascii=False, sort_keys=False) + "\n")


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__,
                                 formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--deb-dir", type=Path, help="directory holding the pinned .debs")
    ap.add_argument("--out", type=Path, default=OUT)
    ap.add_argument("--demo-gnome", type=int, default=32)
    ap.add_argument("--demo-faq", type=int, default=8)
    args = ap.parse_args()

    with tempfile.TemporaryDirectory(prefix="sa-data-") as tmp:
        work = Path(tmp)
        debs = fetch_debs(args.deb_dir, work)
        roots = extract(debs, work)
        garts, gmeta = parse_mallard(roots["gnome-user-docs"])
        farts, fmeta = parse_faq(roots["debian-faq"])

    kb = garts + farts + [XSS_ARTICLE]
    ids = [a["id"] for a in kb]
    assert len(ids) == len(set(ids)), "duplicate article ids"

    convs = build_demo_conversations(gmeta, fmeta, args.demo_gnome, args.demo_faq)
    demo_ids = {r for c in convs for r in c["relevant"]}
    queries = build_dev_queries(gmeta, fmeta, demo_ids)

    kbids = set(ids)
    for c in convs:
        assert all(r in kbids for r in c["relevant"]), c["id"]
    for q in queries:
        assert all(r in kbids for r in q["relevant"]), q["qid"]

    write_jsonl(args.out / "demo" / "kb.jsonl", kb)
    write_jsonl(args.out / "demo" / "conversations.jsonl", convs)
    write_jsonl(args.out / "dev" / "kb.jsonl", kb)
    write_jsonl(args.out / "dev" / "queries.jsonl", queries)
    print(f"kb articles: {len(kb)} (gnome {len(garts)}, debian-faq {len(farts)}, synthetic 1)")
    print(f"demo conversations: {len(convs)}")
    kinds = {}
    for q in queries:
        kinds[q["kind"]] = kinds.get(q["kind"], 0) + 1
    print(f"dev queries: {len(queries)} {kinds}")


if __name__ == "__main__":
    main()
