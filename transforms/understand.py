"""The one call the CLI and the pipeline make per notice: everything the transforms can tell."""
from __future__ import annotations

import re
from typing import Any

from transforms.classify import classify
from transforms.deadline import comment_deadline
from transforms.lifecycle import standard_key

# NIST CSRC URLs end in a stage suffix (ipd, 2pd, fpd, iwd, prd … final) that the title may omit.
_URL_DRAFT = re.compile(r"/(?:i|\d)?(?:pd|wd|prd)/?(?:[?#]|$)|/fpd/?(?:[?#]|$)", re.IGNORECASE)
_URL_FINAL = re.compile(r"/final/?(?:[?#]|$)", re.IGNORECASE)


def understand(title: str, summary: str = "", url: str | None = None, source: str | None = None) -> dict[str, Any]:
    """Return the classification, standard key and comment deadline of one notice as a JSON-ready dict."""
    summary = summary or ""
    result = classify(title or "", summary, source).as_dict()
    if result["kind"] == "standard" and result["stage"] is None and url:
        result["stage"] = _url_stage(url)
    result["standard_key"] = standard_key(title or "", result["standard_numbers"], summary)
    deadline = comment_deadline(f"{title or ''}\n{summary}")
    result["comment_deadline"] = deadline.isoformat() if deadline else None
    return result


def _url_stage(url: str) -> str | None:
    if _URL_DRAFT.search(url):
        return "draft"
    return "published" if _URL_FINAL.search(url) else None
