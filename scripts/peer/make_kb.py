#!/usr/bin/env python3
"""Grow the dev KB to N articles with deterministic distractors (stdlib only).

    python3 scripts/peer/make_kb.py data/dev/kb.jsonl 10000 OUT.jsonl [--seed 8]

The output holds every dev article unchanged (so data/dev/queries.jsonl still has its relevance labels) plus
N - 378 distractors. A distractor's content is 4 to 8 sentences, each taken from a *different* randomly chosen dev
article (so no distractor repeats one article's steps); its title is 3 to 6 words drawn from dev titles. Same seed,
same input -> byte-identical output.
"""
import json
import random
import re
import sys
from pathlib import Path

SENTENCE_END = re.compile(r"(?<=[.!?])\s+|\n+")


def sentences_of(text: str) -> list[str]:
    return [s.strip() for s in SENTENCE_END.split(text) if len(s.strip()) >= 20]


def distractor(rng: random.Random, index: int, articles: list[dict], pools: list[list[str]], words: list[str]) -> dict:
    sources = rng.sample(range(len(articles)), rng.randint(4, 8))
    content = " ".join(rng.choice(pools[i]) for i in sources if pools[i])
    title = " ".join(rng.sample(words, rng.randint(3, 6))).capitalize()
    return {"id": f"distractor-{index:05d}", "title": title, "content": content}


def main() -> None:
    args = sys.argv[1:]
    seed = 8
    if "--seed" in args:
        at = args.index("--seed")
        seed = int(args[at + 1])
        del args[at : at + 2]
    src, size, out = Path(args[0]), int(args[1]), Path(args[2])
    articles = [json.loads(line) for line in src.read_text(encoding="utf-8").splitlines() if line.strip()]
    pools = [sentences_of(a["content"]) for a in articles]
    words = sorted({w for a in articles for w in re.findall(r"[A-Za-z]{4,}", a["title"].lower())})
    rng = random.Random(seed)
    rows = list(articles)
    rows += [distractor(rng, i, articles, pools, words) for i in range(max(0, size - len(articles)))]
    out.parent.mkdir(parents=True, exist_ok=True)
    with out.open("w", encoding="utf-8") as f:
        for row in rows:
            f.write(json.dumps(row, ensure_ascii=False) + "\n")
    print(f"{out}: {len(rows)} articles ({len(articles)} dev + {len(rows) - len(articles)} distractors, seed {seed})")


if __name__ == "__main__":
    main()
