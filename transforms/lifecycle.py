"""One key per standard, shared by its plan, draft, approval, publication and withdrawal notices."""
from __future__ import annotations

import re
from collections.abc import Sequence

from transforms._text import fold, names
from transforms.numbers import standard_base

_MAX_LEN = 120
# A bracketed note that only names the stage: (征求意见稿), (修订草案征求意见稿), (Draft).
_STAGE_NOTE = re.compile(r"\([^()]*(?:稿|草案|征求意见|修订|送审|报批|draft|DIS)[^()]*\)", re.IGNORECASE)
_NUMBER = re.compile(
    r"(?:GB|DB\d{2,6}|T/[A-Z0-9]+|[A-Z]{2,4})(?:/[TZ])?\s*\d+(?:\.\d+)*(?:\s*-\s*[0-9Xx×*?]{2,4})?"
)
_LEVEL_WORDS = re.compile(r"强制性|推荐性|国家标准|行业标准|地方标准|团体标准|国家标准化指导性技术文件")
# Notice words around a bare title ("关于…的通知", "… published") that vary from stage to stage.
_NOTICE_WORDS = re.compile(
    r"关于|的通知|的公告|的公示|公开征求|征求意见稿|征求|意见|送审稿|报批稿|报批公示|审查会|立项公示|立项|公示|批准发布"
    r"|发布|实施|废止|\b(?:draft|published|approved|released|withdrawn|comments? (?:invited|due)|for comment)\b",
    re.IGNORECASE,
)
# Laws and rules cited in a summary ("根据《标准化法》") are not the standard the notice is about.
_LAW_HEAD = re.compile(r"(?:(?<!方)法|规定|办法|条例|通知|意见|决定)\s*$")
_PUNCT = re.compile(r"[\W_]+")


def standard_key(title: str, numbers: Sequence[str], summary: str = "") -> str:
    """Return "title:<name>" for a notice naming a 《standard》, else "num:<number>", else "title:<title>"."""
    # Chinese notices name the standard in 《》 at every stage; its number exists only once approved,
    # so the name links a plan to its publication where the number cannot.
    folded = fold(title or "")
    cited = [n for n in names(fold(summary or "")) if not _LAW_HEAD.search(_STAGE_NOTE.sub("", n))]
    found = names(folded) + cited
    if found:
        return "title:" + _normalise(found[0])
    if numbers:
        return "num:" + standard_base(fold(numbers[0]))
    return "title:" + _normalise(_NOTICE_WORDS.sub(" ", folded))


def _normalise(name: str) -> str:
    text = _STAGE_NOTE.sub("", name)
    text = _LEVEL_WORDS.sub("", _NUMBER.sub("", text))
    return _PUNCT.sub("", text).lower()[:_MAX_LEN]
