"""Real notices (real_notices.jsonl): titles found on public pages, each row citing its page.

Every row is its own case (all labelled fields), and the whole file must meet the targets of issue 14
with the shared scorer's definitions (../shared/eval/score_classify.py): blockchain F1, standard
numbers judged by family and main number, stage judged over the rows where the label or the answer
has a stage. `python -m tests.transforms.test_real_notices` prints the figures and the confusion of
stage and level.
"""
from __future__ import annotations

import json
import re
import unicodedata
from collections import Counter
from pathlib import Path
from typing import Any

import pytest

from transforms.understand import understand

ROWS: list[dict[str, Any]] = [
    json.loads(line) for line in (Path(__file__).parent / "real_notices.jsonl").read_text(encoding="utf-8").splitlines()
    if line.strip()
]
FIELDS = ("lang", "blockchain", "kind", "stage", "level", "standard_numbers")
TARGETS = {"blockchain_f1": 0.98, "standard_numbers": 0.97, "stage": 0.92, "kind": 0.92, "level": 0.92}
MIN_ROWS = 200  # Chinese and English rows together (issue 14 asks for ≥ 200)


def _normal(number: str) -> str:
    # The label is written as DESIGN prints numbers; only width, dashes and spacing may differ.
    text = unicodedata.normalize("NFKC", number).replace("—", "-").replace("–", "-").replace("∕", "/")
    return re.sub(r"\s+", " ", text).strip()


def _number_key(text: str) -> tuple[str, str]:
    # The shared scorer's judgement: family letters and the longest digit run.
    text = text.upper().replace("—", "-").replace("－", "-").replace("–", "-").replace(" ", "")
    family = re.match(r"[A-Z]+", text)
    return (family.group(0) if family else "", max(re.findall(r"\d+", text), key=len, default=""))


def _answer(row: dict[str, Any]) -> dict[str, Any]:
    # "source" names a catalogued publisher for `regwatch classify`; the pure step takes no catalogue.
    return understand(**{k: v for k, v in row["in"].items() if k != "source"})


@pytest.mark.parametrize("row", [pytest.param(r, id=f"{i}:{r['in']['title'][:30]}") for i, r in enumerate(ROWS, 1)])
def test_real_notice(row: dict[str, Any]) -> None:
    assert set(row["want"]) == set(FIELDS), "every row labels every field"
    assert re.match(r"https?://\S+$", row["found_at"]), "every row cites the public page it was found on"
    got = _answer(row)
    want = row["want"]
    assert {f: got[f] for f in FIELDS if f != "standard_numbers"} == \
        {f: want[f] for f in FIELDS if f != "standard_numbers"}
    assert [_normal(n) for n in got["standard_numbers"]] == [_normal(n) for n in want["standard_numbers"]]


def report(rows: list[dict[str, Any]] = ROWS) -> dict[str, Any]:
    """Score the answers on `rows`: the shared scorer's figures plus the stage and level confusion."""
    tp = fp = fn = numbers = stage_ok = stage_n = kind = level = 0
    stage_confusion: Counter[str] = Counter()
    level_confusion: Counter[str] = Counter()
    for row in rows:
        want, got = row["want"], _answer(row)
        tp += want["blockchain"] and got["blockchain"]
        fp += not want["blockchain"] and got["blockchain"]
        fn += want["blockchain"] and not got["blockchain"]
        numbers += {_number_key(n) for n in want["standard_numbers"]} == {_number_key(n) for n in got["standard_numbers"]}
        kind += got["kind"] == want["kind"]
        level += got["level"] == want["level"]
        if want["stage"] is not None or got["stage"] is not None:
            stage_n += 1
            stage_ok += got["stage"] == want["stage"]
        stage_confusion[f"{want['stage']}->{got['stage']}"] += 1
        level_confusion[f"{want['level']}->{got['level']}"] += 1
    precision = tp / (tp + fp) if tp + fp else 0.0
    recall = tp / (tp + fn) if tp + fn else 0.0
    n = len(rows)
    return {
        "items": n,
        "blockchain_precision": round(precision, 3),
        "blockchain_recall": round(recall, 3),
        "blockchain_f1": round(2 * precision * recall / (precision + recall), 3) if precision + recall else 0.0,
        "standard_numbers": round(numbers / n, 3),
        "stage": round(stage_ok / stage_n, 3) if stage_n else 1.0,
        "kind": round(kind / n, 3),
        "level": round(level / n, 3),
        "stage_confusion": dict(sorted(stage_confusion.items())),
        "level_confusion": dict(sorted(level_confusion.items())),
    }


def test_the_set_meets_the_targets() -> None:
    figures = report()
    missed = {k: (figures[k], target) for k, target in TARGETS.items() if figures[k] < target}
    assert not missed, f"below target (got, target): {missed}"


def test_the_set_is_large_enough() -> None:
    assert len(ROWS) >= MIN_ROWS


def test_the_confusion_counts_every_row() -> None:
    figures = report(ROWS[:3])
    assert sum(figures["stage_confusion"].values()) == sum(figures["level_confusion"].values()) == 3


if __name__ == "__main__":
    print(json.dumps(report(), ensure_ascii=False, indent=1))
