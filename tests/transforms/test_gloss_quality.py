"""How good the offline gloss is, on real Chinese standard titles with their official English.

tests/transforms/gloss_titles.jsonl (each row cites where its titles were found) is glossed
with the shipped tables. Two figures:

- term recall: of the content words of the official title (lower-cased, stop words removed,
  simply stemmed), the share found in the gloss; over all titles together. Target ≥ 0.80.
- chrF (β = 2, character n-grams 1..6, whitespace ignored, statistics summed over the set as
  sacrebleu's corpus chrF does): reported, no target.

    .venv/bin/python -m tests.transforms.test_gloss_quality     # prints both figures
"""
from __future__ import annotations

import json
import re
from collections import Counter
from pathlib import Path

from transforms.gloss import gloss

TITLES = Path(__file__).parent / "gloss_titles.jsonl"
STOP = frozenset("a an and for from in into of on or the to with by as at its their part".split())
_SUFFIXES = ("ations", "ation", "ings", "ing", "ies", "es", "s", "ed", "y")
RECALL_TARGET = 0.80


def stem(word: str) -> str:
    """Strip one common English suffix (technologies/technology, specifications/specification)."""
    for suffix in _SUFFIXES:
        if word.endswith(suffix) and len(word) - len(suffix) >= 3:
            return word[: -len(suffix)]
    return word


def content_words(text: str) -> list[str]:
    """The stemmed content words of an English title."""
    return [stem(w) for w in re.findall(r"[a-z0-9]+", text.lower()) if w not in STOP]


def term_recall(pairs: list[tuple[str, str]]) -> float:
    """Share of the references' content words that their hypotheses contain, over all pairs."""
    found = total = 0
    for hypothesis, reference in pairs:
        have = set(content_words(hypothesis))
        words = content_words(reference)
        found += sum(w in have for w in words)
        total += len(words)
    return found / total if total else 0.0


def _ngrams(text: str, n: int) -> Counter[str]:
    chars = re.sub(r"\s+", "", text)
    return Counter(chars[i:i + n] for i in range(len(chars) - n + 1))


def chrf(pairs: list[tuple[str, str]], order: int = 6, beta: float = 2.0) -> float:
    """Corpus chrF (0–100): n-gram precision and recall averaged over n = 1..order, then F-beta."""
    precisions, recalls = [], []
    for n in range(1, order + 1):
        match = hyp = ref = 0
        for hypothesis, reference in pairs:
            h, r = _ngrams(hypothesis, n), _ngrams(reference, n)
            match += sum((h & r).values())
            hyp += sum(h.values())
            ref += sum(r.values())
        precisions.append(match / hyp if hyp else 0.0)
        recalls.append(match / ref if ref else 0.0)
    p, r = sum(precisions) / order, sum(recalls) / order
    return 100 * (1 + beta**2) * p * r / (beta**2 * p + r) if p + r else 0.0


def glossed() -> list[tuple[str, str]]:
    rows = [json.loads(line) for line in TITLES.read_text(encoding="utf-8").splitlines() if line.strip()]
    return [(gloss(row["zh"]), row["en"]) for row in rows]


def test_scorers_on_known_answers() -> None:
    assert chrf([("Blockchain vocabulary", "Blockchain vocabulary")]) == 100.0
    assert chrf([("xyz", "Blockchain")]) == 0.0
    assert 0 < chrf([("Blockchain terms", "Blockchain vocabulary")]) < 100
    assert content_words("Blockchain and distributed ledger technologies—Vocabulary") == [
        "blockchain", "distribut", "ledger", "technolog", "vocabular"]
    assert term_recall([("distributed ledger technology", "Distributed ledger technologies")]) == 1.0
    assert term_recall([("ledger", "Distributed ledger")]) == 0.5


def test_term_recall_of_the_gloss_on_real_titles(record_property) -> None:
    pairs = glossed()
    assert len(pairs) >= 20, "the measure needs the cited title table"
    recall, score = term_recall(pairs), chrf(pairs)
    record_property("term_recall", round(recall, 3))
    record_property("chrF", round(score, 1))
    print(f"\n{len(pairs)} titles: term recall {recall:.3f} (target {RECALL_TARGET}), chrF {score:.1f}")
    assert recall >= RECALL_TARGET


if __name__ == "__main__":
    pairs = glossed()
    print(json.dumps({"titles": len(pairs), "term_recall": round(term_recall(pairs), 3),
                      "chrF": round(chrf(pairs), 1)}))
