"""Is a notice about blockchain / distributed ledgers? Lexicon-driven, negatives blanked first."""
from __future__ import annotations

import re
from functools import lru_cache
from importlib import resources
from typing import Any

import yaml

from transforms._text import CACHED_LEN, fold, names

LEXICON: dict[str, Any] = yaml.safe_load(
    resources.files("transforms").joinpath("lexicon.yaml").read_text(encoding="utf-8")
)


def _en_pattern(terms: list[str]) -> str:
    terms = [fold(t) for t in terms]
    # Spaces and hyphens vary by publisher ("crypto-asset", "crypto asset", "cryptoasset").
    parts = [r"[-\s]?".join(map(re.escape, re.split(r"[-\s]+", t))) for t in terms]
    # Latin boundaries only: "发行NFT" has no word boundary between 行 and N.
    edge = "A-Za-z0-9\u00c0-\u024f"
    return rf"(?<![{edge}])(?:" + "|".join(sorted(parts, key=len, reverse=True)) + rf")(?:e?s)?(?![{edge}])"


def _zh_pattern(terms: list[str]) -> str:
    # Terms are folded like the text (Traditional characters, width) so either spelling matches.
    return "|".join(map(re.escape, sorted({fold(t) for t in terms}, key=len, reverse=True)))


_POS_ZH = re.compile(_zh_pattern(LEXICON["positive"]["zh"]))
_POS_EN = re.compile(_en_pattern(LEXICON["positive"]["en"]), re.IGNORECASE)
_POS_CASE = re.compile(_en_pattern(LEXICON["positive"]["en_case_sensitive"]))
_NEG_ZH = re.compile(_zh_pattern(LEXICON["negative"]["zh"]))
_NEG_EN = re.compile(_en_pattern(LEXICON["negative"]["en"]), re.IGNORECASE)
_LIST_TITLE = re.compile("|".join(LEXICON["list_title"]), re.IGNORECASE)
_WORD = re.compile(r"[A-Za-z]{2,}|[\u4e00-\u9fff]")
_NUMBER = re.compile(r"[A-Z][A-Za-z/]*\s*[\d.:-]+")
_QUOTED = re.compile(r"“([^”]*)”|\"([^\"]*)\"")


def blockchain_terms(text: str) -> list[str]:
    """Return the blockchain terms in `text` (negative contexts excluded), lower-cased, in order."""
    # The lexicon's alternations are the costliest scan of normalising: a summary a feed repeats,
    # or a title read twice, is scanned once. A copy: callers own the list they get.
    if len(text) <= CACHED_LEN:
        return list(_terms_short(text))
    return _terms(text)


@lru_cache(maxsize=8192)
def _terms_short(text: str) -> tuple[str, ...]:
    return tuple(_terms(text))


def _terms(text: str) -> list[str]:
    clean = _blank_negatives(fold(text))
    hits = [m.group(0) for p in (_POS_ZH, _POS_EN, _POS_CASE) for m in p.finditer(clean)]
    return list(dict.fromkeys(h.lower() for h in hits))


def is_blockchain(title: str, summary: str = "") -> bool:
    """Tell whether a notice is about blockchain / DLT, the title weighing more than the summary."""
    if blockchain_terms(title):
        return True
    return bool(summary) and _summary_weight(fold(title), fold(summary)) >= 2


def _summary_weight(title: str, summary: str) -> int:
    # One passing mention in a summary is not enough; a named blockchain document is, and so is
    # any mention under a title that only announces a list, batch or plan.
    terms = blockchain_terms(summary)
    if not terms:
        return 0
    if len(_WORD.findall(_NUMBER.sub(" ", title))) < 2:
        return 2  # a title that is only a designation ("IEEE 2140.5-2020"): the summary is the title
    named = " ".join(names(summary)) + " " + " ".join(a or b for a, b in _QUOTED.findall(summary))
    if _LIST_TITLE.search(title) or blockchain_terms(named):
        return 2
    return len(terms)


def _blank_negatives(text: str) -> str:
    # A separator, not "", so blanking never glues two neighbours into a new term.
    return _NEG_EN.sub("|", _NEG_ZH.sub("|", text))
