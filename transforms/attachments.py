"""The document pack: each attachment typed (draft, explanation, feedback form, standard text) with its file type."""
from __future__ import annotations

import re
import unicodedata
from urllib.parse import unquote, urlsplit

from transforms.numbers import extract_standard_numbers

FORMATS = ("pdf", "doc", "docx", "xls", "xlsx", "wps", "ofd", "zip", "rar", "7z")
_EXT = re.compile(r"\.(" + "|".join(FORMATS) + r")(?=$|[\s?#&)\]】])", re.IGNORECASE)
# First match wins: "征求意见反馈表" and "编制说明（征求意见稿）" name a form and an explanation, not drafts.
_TYPES = (
    ("feedback_form", re.compile(r"意见(?:反馈|征求|回执)?表|反馈(?:意见)?表|征求意见表"
                                 r"|comment(?:s)?\s*(?:template|form|matrix)|feedback\s*form", re.IGNORECASE)),
    ("explanation", re.compile(r"编制说明|编制情况说明|起草说明|的说明|说明$|explanatory\s+(?:memorandum|note)",
                               re.IGNORECASE)),
    # A list of names or contents (一览表, 目录, 名单) announces drafts without being one.
    ("other", re.compile(r"一览表|目录|名单|清单|名称及主要内容|公示表|申报|申请表|建议书")),
    ("draft", re.compile(r"征求意见稿|送审稿|报批稿|草案|讨论稿|\bdraft\b|\b[i\d]pd\b|public\s+draft", re.IGNORECASE)),
)
# The title words of a standard's own name: a published standard attached under its name.
_STANDARD_TITLE = re.compile(r"(?:规范|要求|指南|规则|规程|方法|术语|架构|导则|框架|标准)$")


def describe(url: str, name: str, *, publishes_standard: bool = False) -> dict[str, str | None]:
    """Return the attachment as `{url, name, type, format}`."""
    return {"url": url, "name": name, "type": attachment_type(name, url, publishes_standard=publishes_standard),
            "format": file_format(name, url)}


def attachment_type(name: str, url: str = "", *, publishes_standard: bool = False) -> str:
    """Type an attachment by its name (or, without one, its URL): draft, explanation, feedback_form, standard_text, other."""
    label = _stem(unicodedata.normalize("NFKC", name or "") or unquote(urlsplit(url).path.rsplit("/", 1)[-1]))
    for kind, pattern in _TYPES:
        if pattern.search(label):
            return kind
    if extract_standard_numbers(label) or (publishes_standard and _STANDARD_TITLE.search(label)):
        return "standard_text"
    return "other"


def file_format(name: str, url: str = "") -> str | None:
    """Return the file type from the name's extension, else the URL's (path, then query), else None."""
    parts = urlsplit(url or "")
    for candidate in (name or "", unquote(parts.path), unquote(parts.query)):
        if m := _EXT.search(candidate.strip()):
            return m.group(1).lower()
    return None


def _stem(label: str) -> str:
    # "1.《X》（征求意见稿）.pdf" -> "1.《X》(征求意见稿)": the extension is the format, not the name.
    return _EXT.sub("", label).strip().rstrip("(（)）")
