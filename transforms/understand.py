"""The one call the CLI and the pipeline make per notice: everything the transforms can tell."""
from __future__ import annotations

import re
from typing import Any, Mapping

from transforms.classify import classify
from transforms.committees import committees, plan_numbers
from transforms.deadline import comment_deadline
from transforms.gloss import title_en
from transforms.lifecycle import standard_key

# NIST CSRC URLs end in a stage suffix (ipd, 2pd, fpd, iwd, prd … final) that the title may omit.
_URL_DRAFT = re.compile(r"/(?:i|\d)?(?:pd|wd|prd)/?(?:[?#]|$)|/fpd/?(?:[?#]|$)", re.IGNORECASE)
_URL_FINAL = re.compile(r"/final/?(?:[?#]|$)", re.IGNORECASE)
# ISO/IEC harmonized stage codes (www.iso.org/stage-codes.html) as a committee lists them.
_ISO_CODE = re.compile(r"^\s*(?:stage\s*:?\s*)?([0-9]{2})\.([0-9]{2})\s*$", re.IGNORECASE)
_ISO_STAGES = (("95", "withdrawn"), ("90", "published"), ("60", "published"), ("50", "draft"),
               ("40", "draft"), ("30", "draft"), ("20", "plan"), ("10", "plan"), ("00", "plan"))


def understand(title: str, summary: str = "", url: str | None = None, jurisdiction: str | None = None,
               hints: Mapping[str, Any] | None = None, english: bool = True) -> dict[str, Any]:
    """Return the classification, standard key, comment deadline and English title of one notice.

    ``hints`` are the publisher's facts (its catalogue entry's): a stated kind, stage or level wins
    over what the text suggests; ``default_level`` only fills in a standard's missing level.
    A ``title_en`` hint is the publisher's own English title. ``english=False`` skips the gloss.
    """
    summary, hints = summary or "", hints or {}
    result = classify(title or "", summary, jurisdiction, hints.get("default_level"), hints.get("kind")).as_dict()
    if result["kind"] == "standard" and result["stage"] is None:
        result["stage"] = _iso_stage(summary) or (_url_stage(url) if url else None)
    if english or hints.get("title_en"):
        result["title_en"], result["title_en_origin"] = title_en(title or "", result["lang"],
                                                                 hints.get("title_en"))
    result.update({k: v for k, v in hints.items() if k not in ("default_level", "title_en")})
    result["standard_key"] = standard_key(title or "", result["standard_numbers"], summary)
    deadline = comment_deadline(f"{title or ''}\n{summary}")
    result["comment_deadline"] = deadline.isoformat() if deadline else None
    result["committees"] = committees(f"{title or ''}\n{summary}")
    result["plan_numbers"] = plan_numbers(f"{title or ''}\n{summary}")
    return result


def _iso_stage(summary: str) -> str | None:
    match = _ISO_CODE.match(summary)
    if not match:
        return None
    if match.group(1) == "60" and match.group(2) == "00":
        return "draft"  # 60.00: under publication, text approved but not yet out
    return next((stage for prefix, stage in _ISO_STAGES if match.group(1) == prefix), None)


def _url_stage(url: str) -> str | None:
    if _URL_DRAFT.search(url):
        return "draft"
    return "published" if _URL_FINAL.search(url) else None
