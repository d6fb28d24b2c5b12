"""The record a connector hands to the transforms: what the publisher said, unparsed."""
from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any


@dataclass(frozen=True)
class Attachment:
    url: str
    name: str


@dataclass(frozen=True)
class FetchedItem:
    """One notice as listed (and, when new, as its detail page shows it).

    ``hints`` carries facts the publisher states outright rather than implies in a title — a
    standards platform's stage column, say — as Notice fields (``stage``, ``level``, ``kind``,
    ``standard_numbers``, ``blockchain``); they win over what the classifier infers.

    ``partial`` marks a list-only view of a notice already indexed (its detail page is
    fetched once, when it is new): the store keeps the full version it has.

    ``detail_failed`` says its detail page could not be fetched this time (the reason is in
    ``warnings``): the notice is indexed from the list and its detail page tried again later.

    Dates stay as the publisher wrote them (``2026-09-19``, epoch milliseconds, ``2026年9月19日``):
    parsing them is a transform, so it is pure and table-tested in one place.
    """

    source_id: str
    url: str
    title: str
    published: str | None = None
    summary: str = ""
    body: str = ""
    issuer: str | None = None
    deadline: str | None = None
    attachments: tuple[Attachment, ...] = ()
    warnings: tuple[str, ...] = field(default=())
    partial: bool = False
    detail_failed: bool = False
    hints: dict[str, Any] = field(default_factory=dict)
