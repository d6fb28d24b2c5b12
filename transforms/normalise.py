"""From a fetched item to a Notice: clean, date, understand. Pure: `now` is injected."""
from __future__ import annotations

import re
from dataclasses import dataclass, field
from datetime import date, datetime
from typing import Any, Mapping
from zoneinfo import ZoneInfo

from records.items import FetchedItem
from records.notice import Notice, content_hash, notice_id
from transforms.attachments import describe
from transforms.committees import committees, plan_numbers
from transforms.contacts import comments_to
from transforms.dates import closing_date, iso, parse_datetime
from transforms.deadline import comment_deadline
from transforms.gloss import bilingual_terms
from transforms.understand import understand

# Status tags some publishers wrap titles in (【进行中】, [已结束]).
_STATUS_TAG = re.compile(r"^\s*[【\[][^】\]]{1,6}[】\]]\s*|\s*[【\[][^】\]]{1,6}[】\]]\s*$")
_SPACE = re.compile(r"\s+")
# Consultations on policy carry comment deadlines too; an application deadline (申报) does not.
_CONSULTATION = re.compile(r"征求|意见|comment|consultation|request for information", re.I)


@dataclass(frozen=True)
class SourceMeta:
    """What normalising needs to know about the publisher."""

    id: str
    issuer: str | None
    jurisdiction: str
    timezone: str = "Asia/Shanghai"
    hints: Mapping[str, Any] = field(default_factory=dict)


def clean_title(title: str) -> str:
    """Fold whitespace and drop bracketed status tags."""
    return _STATUS_TAG.sub("", _SPACE.sub(" ", title)).strip()


def normalise(item: FetchedItem, source: SourceMeta, now: datetime) -> Notice:
    """Turn one fetched item into a Notice (content problems become warnings)."""
    warnings = list(item.warnings)
    title = clean_title(item.title)
    zone = ZoneInfo(source.timezone)
    published = parse_datetime(item.published, tz=zone, now=now)
    if item.published and published is None:
        warnings.append(f"unreadable publish date {item.published[:40]!r}")
    summary = item.summary or item.body[:300]
    facts = {**understand(title=title, summary=summary, url=item.url, jurisdiction=source.jurisdiction,
                          hints=source.hints), **item.hints}
    if item.hints.get("title_en"):
        facts["title_en_origin"] = "publisher"  # the publisher's own English name of this notice
    deadline = _deadline(item, summary, zone, published.date() if published else None,
                         consultation=facts["stage"] == "draft" or bool(_CONSULTATION.search(title)),
                         warnings=warnings)
    # Type and format derive from url and name: hashing the pairs alone keeps stored notices' hashes.
    pairs = [{"url": a.url, "name": a.name} for a in item.attachments]
    publishes = facts["kind"] == "standard" and facts["stage"] in ("published", "effective")
    attachments = [describe(a.url, a.name, publishes_standard=publishes) for a in item.attachments]
    text = f"{title}\n{summary}\n{item.body}"
    return Notice(
        id=notice_id(source.id, item.url), source_id=source.id,
        issuer=source.issuer or item.issuer, jurisdiction=source.jurisdiction, url=item.url,
        title=title, summary=summary, body=item.body, lang=facts["lang"],
        published_at=iso(published), fetched_at=iso(now) or "", blockchain=facts["blockchain"],
        kind=facts["kind"], stage=facts["stage"], level=facts["level"],
        standard_numbers=list(facts["standard_numbers"]), standard_key=facts.get("standard_key"),
        comment_deadline=deadline.isoformat() if deadline else None, attachments=attachments,
        content_hash=content_hash(title, summary, item.body, pairs, item.published, deadline),
        warnings=warnings, detail_pending=item.detail_failed,
        comments_to=comments_to(f"{summary}\n{item.body}"), committees=committees(text),
        plan_numbers=plan_numbers(text),
        title_en=facts["title_en"], title_en_origin=facts["title_en_origin"],
        glossary_terms=bilingual_terms(title),
    )


def _deadline(item: FetchedItem, summary: str, zone: ZoneInfo, published: date | None, *,
              consultation: bool, warnings: list[str]) -> date | None:
    """Return the comment deadline: the sentence a reader sees wins over the listed value."""
    listed = closing_date(item.deadline, tz=zone) if item.deadline else None
    if item.deadline and listed is None:
        warnings.append(f"unreadable deadline {item.deadline[:40]!r}")
    stated = comment_deadline(f"{summary}\n{item.body}", published) if (
        consultation or listed) else None
    if listed and stated and listed != stated:
        # The list's value is machine data that a person never reads; the notice's own
        # "请于…前" is what commenters act on, so a disagreement keeps the text and says so.
        warnings.append(f"listed deadline {listed.isoformat()} disagrees with the text's "
                        f"{stated.isoformat()}; kept the text's")
    return stated or listed
