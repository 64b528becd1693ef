#!/usr/bin/env python3
"""Draws the sample of real tweets that were labelled by hand for training-data/real/.

Run once, from the repository root, with ../shared/data/real-tweets beside the
repository. It prints the chosen ids (one per line, with their source file) and
writes nothing else: which tweets were drawn is recorded by labels.jsonl itself.
The draw is seeded, so the same input gives the same sample.

How many per file, and why:
  * every file contributes, in proportion to how different its tweets are from
    the others rather than to its size (bbc_health is one account and one style);
  * fr_deputies gets an extra 400 drawn among tweets that mention media
    appearances, office hours, newsletters and visits, because real French
    self-promotion is rare and the model needs it; the annotators still decide
    every label by reading the tweet;
  * texts longer than 1,000 characters (Facebook posts in us_politicians) and
    texts that repeat another one once case, links, @handles, accents and
    punctuation are ignored are left out.
"""
import json
import random
import re
import sys
import unicodedata
from pathlib import Path

QUOTAS = {
    "fr_deputies": 2700,
    "mlma_fr": 600,
    "corporate_messaging": 1100,
    "customer_care": 800,
    "bbc_health": 550,
    "us_politicians": 1400,
    "uk_mps": 800,
}
FR_SELF_PROMOTION_HINTS = re.compile(
    r"invit|retrouvez|permanence|lettre d|newsletter|interview|émission|en direct|"
    r"je serai|rendez-vous|réunion publique|compte.rendu|j'ai visité|j’ai visité|"
    r"visite|mon intervention|ma question|bilan|tribune",
    re.IGNORECASE,
)
EXTRA_FR_DEPUTIES = 400
MAX_CHARS = 1000


def normalise(text: str) -> str:
    text = re.sub(r"https?://\S+|@\w+", " ", text.lower())
    text = unicodedata.normalize("NFKD", text)
    text = "".join(c for c in text if c.isalnum() or c.isspace())
    return " ".join(text.split())


def main() -> None:
    root = Path(sys.argv[1] if len(sys.argv) > 1 else "../shared/data/real-tweets")
    rng = random.Random(20261130)
    seen: set[str] = set()
    chosen = []
    for name, quota in QUOTAS.items():
        items = [json.loads(line) for line in open(root / f"{name}.jsonl", encoding="utf-8")]
        rng.shuffle(items)
        picked = []
        extra = []
        for item in items:
            key = normalise(item["text"])
            if not key or len(item["text"]) > MAX_CHARS or key in seen:
                continue
            is_fr = item.get("lang") == "fr"
            if name == "corporate_messaging" and is_fr:
                pass  # every French corporate tweet is kept: they are the only ones
            elif len(picked) >= quota:
                if (
                    name == "fr_deputies"
                    and len(extra) < EXTRA_FR_DEPUTIES
                    and FR_SELF_PROMOTION_HINTS.search(item["text"])
                ):
                    seen.add(key)
                    extra.append(item)
                continue
            seen.add(key)
            picked.append(item)
        chosen.extend((name, item) for item in picked + extra)
    for name, item in chosen:
        print(f"{name}\t{item['id']}")


if __name__ == "__main__":
    main()
