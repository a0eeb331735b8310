"""Write data/obfuscated.jsonl: one obfuscated variant of every row of data/harmful_requests.jsonl.

Run: python scripts/make_obfuscated.py   (deterministic, seed 0)
"""

from __future__ import annotations

import json
import random
from pathlib import Path

from slmguard.data.corpus import write_project_file
from slmguard.data.obfuscate import LATIN_ONLY, OBFUSCATIONS

DATA = Path(__file__).resolve().parents[1] / "data"


def main() -> None:
    rng = random.Random(0)
    rows = [json.loads(line) for line in (DATA / "harmful_requests.jsonl").open(encoding="utf-8")]
    out = []
    for row in rows:
        kinds = [k for k in OBFUSCATIONS if row["lang"] == "en" or k not in LATIN_ONLY]
        if row["lang"] == "en":
            kinds.remove("split_jamo")
        kind = rng.choice(kinds)
        text = OBFUSCATIONS[kind](row["text"], rng)
        if text != row["text"]:
            out.append({"id": f"{row['id']}~{kind}", "text": text, "label": row["label"],
                        "categories": row["categories"], "lang": row["lang"], "kind": kind})  # fmt: skip
    write_project_file(DATA / "obfuscated.jsonl", out)


if __name__ == "__main__":
    main()
