"""The naive keyword baseline: `regwatch classify`'s contract, answered by two substring tests.

    python bench/baseline_classify.py < notices.jsonl
"""
from __future__ import annotations

import json
import re
import sys

_CJK = re.compile(r"[\u4e00-\u9fff]")


def classify(title: str) -> dict:
    """What a cron script would do: a keyword test for blockchain, nothing else understood."""
    standard = "标准" in title or "standard" in title.lower()
    return {"lang": "zh" if _CJK.search(title) else "en",
            "blockchain": "区块链" in title or "blockchain" in title.lower(),
            "kind": "standard" if standard else "other", "stage": None, "level": None,
            "standard_numbers": []}


def main() -> int:
    out = [json.dumps(classify(json.loads(line)["title"]), ensure_ascii=False)
           for line in sys.stdin if line.strip()]
    sys.stdout.write("".join(line + "\n" for line in out))
    return 0


if __name__ == "__main__":
    sys.exit(main())
