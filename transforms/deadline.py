"""The comment deadline of a consultation, from Chinese and English phrasings."""
from __future__ import annotations

import re
from datetime import date

from transforms._text import fold

_MONTHS = {m: i for i, m in enumerate(
    "jan feb mar apr may jun jul aug sep oct nov dec".split(), start=1)}
_MON = r"(?:Jan|Feb|Mar|Apr|May|Jun|Jul|Aug|Sep|Sept|Oct|Nov|Dec)[a-z]*\.?"
_DATE = (
    r"(?:\d{4}\s*年\s*)?\d{1,2}\s*月\s*\d{1,2}\s*[日号]"
    r"|\d{4}[-/.]\d{1,2}[-/.]\d{1,2}"
    r"|\d{1,2}/\d{1,2}/\d{4}"
    rf"|{_MON}\s+\d{{1,2}}(?:st|nd|rd|th)?(?:,?\s+\d{{4}})?"
    rf"|\d{{1,2}}(?:st|nd|rd|th)?\s+(?:of\s+)?{_MON}(?:,?\s+\d{{4}})?"
)
# A consultation period "9月14日至10月14日" ends on its second date; so does a 报批公示's
# "公示时间为…至…", the window in which objections to a draft for approval are taken.
_RANGE_END = rf"(?:\s*(?:至|到|~|-|—|until|to|through)\s*(?P<end>{_DATE}))?"
_KEYWORD = re.compile(
    r"(?:截止|截至|反馈时间|征求意见(?:期|时间|期限)|意见反馈时间|期限|公示(?:时间|期)"
    r"|comments?\s+(?:are\s+|is\s+)?due|deadline(?:\s+for\s+(?:comments?|responses?|feedback|submissions?))?"
    r"|open\s+(?:for\s+(?:public\s+)?comments?\s+)?until|(?:consultation|comment\s+period)\s+(?:closes|ends|runs\s+until)"
    r"|closing\s+date|no\s+later\s+than|(?:received|submitted|submit\s+(?:your\s+)?comments?)\s+(?:by|on\s+or\s+before|before)"
    rf"|respond\s+by)[^。；;\n]{{0,30}}?(?P<date>{_DATE}){_RANGE_END}",
    re.IGNORECASE,
)
# "请于2026年10月14日前反馈": a date followed by 前/之前 is a due date on its own.
_BEFORE = re.compile(rf"(?P<date>{_DATE})\s*(?:\d{{1,2}}:\d{{2}}\s*)?(?:前|之前|以前)")
_DIGIT = re.compile(r"\d")


def comment_deadline(text: str, published: date | None = None) -> date | None:
    """Return the comment deadline stated in `text`; year-less dates take `published`'s year."""
    folded = fold(text or "")
    if not _DIGIT.search(folded):
        return None  # every date form has a digit; the two searches cost 20 µs a notice
    m = _KEYWORD.search(folded) or _BEFORE.search(folded)
    if not m:
        return None
    end = m.groupdict().get("end")
    return _parse(end or m.group("date"), published)


def _parse(raw: str, published: date | None) -> date | None:
    year, month, day = _parts(raw)
    if month is None or day is None:
        return None
    if year is None:
        if published is None:
            return None
        year = published.year
        if (this_year := _safe_date(year, month, day)) and this_year < published:
            year += 1  # "10月14日前" in a notice of November means next October
    return _safe_date(year, month, day)


def _parts(raw: str) -> tuple[int | None, int | None, int | None]:
    if m := re.match(r"(?:(\d{4})\s*年\s*)?(\d{1,2})\s*月\s*(\d{1,2})", raw):
        return _int(m.group(1)), int(m.group(2)), int(m.group(3))
    if m := re.match(r"(\d{4})[-/.](\d{1,2})[-/.](\d{1,2})", raw):
        return int(m.group(1)), int(m.group(2)), int(m.group(3))
    if m := re.match(r"(\d{1,2})/(\d{1,2})/(\d{4})", raw):  # NIST writes M/D/YYYY
        return int(m.group(3)), int(m.group(1)), int(m.group(2))
    if m := re.match(r"([A-Za-z]+)\.?\s+(\d{1,2})\D*?(?:(\d{4}))?$", raw):
        return _int(m.group(3)), _MONTHS.get(m.group(1)[:3].lower()), int(m.group(2))
    if m := re.match(r"(\d{1,2})\D*?\s+(?:of\s+)?([A-Za-z]+)\.?,?\s*(\d{4})?$", raw):
        return _int(m.group(3)), _MONTHS.get(m.group(2)[:3].lower()), int(m.group(1))
    return None, None, None


def _int(value: str | None) -> int | None:
    return int(value) if value else None


def _safe_date(year: int, month: int, day: int) -> date | None:
    try:
        return date(year, month, day)
    except ValueError:
        return None
