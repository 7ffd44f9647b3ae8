#!/usr/bin/env python3
"""Builds data/dev/identifier_queries.jsonl: the dev set's identifier slice.

Every identifier-like token (letters and digits mixed, e.g. `udisks2`, `EC1260`, `WPA2`, `F11`, or a
number of 4+ digits that is not a year) that occurs in exactly one article of data/dev/kb.jsonl becomes
one call where the customer names it and says nothing else about the topic. Such a call is answered
only by matching the identifier exactly, which is what the exact-identifier boost of the ranking is for.
At most two queries per article. Deterministic; run from the repository root:
    python3 scripts/data/build_identifier_slice.py
"""
import collections
import json
import re
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]
KB = ROOT / "data/dev/kb.jsonl"
OUT = ROOT / "data/dev/identifier_queries.jsonl"
IDENT = re.compile(
    r"\b(?=[A-Za-z0-9._-]*[0-9])(?=[A-Za-z0-9._-]*[A-Za-z])[A-Za-z][A-Za-z0-9._-]{2,}\b|\b[0-9]{4,}\b"
)
TEMPLATES = [
    "agent: Help desk, how can I help?\ncustomer: I keep running into {x} and it is driving me crazy.\nagent: Okay, let me look.",
    "agent: Support, what seems to be the problem?\ncustomer: Something about {x} is not right since this morning.\nagent: Let me check that for you.",
]


def is_year(token: str) -> bool:
    return token.isdigit() and len(token) == 4 and token[:2] in ("19", "20")


def main() -> None:
    articles = [json.loads(line) for line in KB.read_text().splitlines() if line.strip()]
    where = collections.defaultdict(set)
    for article in articles:
        for match in IDENT.findall(article["title"] + " " + article["content"]):
            where[match.strip(".-")].add(article["id"])
    per_article = collections.Counter()
    rows = []
    for token in sorted(where):
        ids = where[token]
        if len(ids) != 1 or len(token) < 3 or is_year(token):
            continue
        article_id = next(iter(ids))
        if per_article[article_id] >= 2:
            continue
        template = TEMPLATES[per_article[article_id]]
        per_article[article_id] += 1
        rows.append({"qid": f"id{len(rows) + 1:03d}", "transcript": template.format(x=token),
                     "relevant": [article_id], "kind": "identifier"})
    OUT.write_text("".join(json.dumps(r) + "\n" for r in rows))
    print(f"{len(rows)} identifier queries over {len(per_article)} articles -> {OUT.relative_to(ROOT)}")


if __name__ == "__main__":
    main()
