"""How a digest or flood summary is ordered: by stage, by standard, deadlines soonest first.

A standard's notices in one batch - its plan, draft and publication, or one publication listed
by two publishers (std.samr and openstd both carry GB/T 46337-2026) - share a `standard_key` and
form one group, filed under its most advanced stage: a draft published in the same batch is
news about a publication, and an edition withdrawn beside a new one published (ISO 22739:2020 and
:2024) is news about the new edition. Open drafts come before closed ones, never filed as open.
"""
from __future__ import annotations

from datetime import date
from typing import Sequence

from alerts import policy
from records.notice import Notice

CLOSED = "closed"  # the section of drafts whose comment period is over
SECTION_ORDER: tuple[str | None, ...] = ("plan", "draft", CLOSED, "published", "effective", "withdrawn",
                                         None)
# How far along a notice is, to pick the one that leads its group: a withdrawal ranks below a
# publication because, within one standard, it is the old edition giving way.
_LIFECYCLE = {s: i for i, s in enumerate(("plan", "draft", "withdrawn", "published", "effective"))}

Group = tuple[Notice, ...]  # one standard's notices, in lifecycle order; the last one leads


def sections(notices: Sequence[Notice], today: date | None) -> list[tuple[str | None, list[Group]]]:
    """Group notices by standard and file each group under its section, in lifecycle order."""
    by_key: dict[str, list[Notice]] = {}
    for n in notices:
        by_key.setdefault(f"key:{n.standard_key}" if n.standard_key else f"id:{n.id}", []).append(n)
    filed: dict[str | None, list[Group]] = {}
    for members in by_key.values():
        group = tuple(sorted(members, key=_lifecycle))
        filed.setdefault(section(group[-1], today), []).append(group)
    return [(s, _by_urgency(filed[s], today)) for s in SECTION_ORDER if s in filed]


def section(notice: Notice, today: date | None) -> str | None:
    """The section a notice leads in: its stage, or CLOSED for a draft past its deadline."""
    if notice.stage == "draft" and today is not None and policy.comments_closed(notice, today):
        return CLOSED
    return notice.stage if notice.stage in _LIFECYCLE else None


def _lifecycle(notice: Notice) -> tuple[int, str]:
    return _LIFECYCLE.get(notice.stage or "", -1), notice.published_at or ""


def _by_urgency(groups: list[Group], today: date | None) -> list[Group]:
    """Soonest open comment deadline first; then the rest; newest publication first within each."""
    newest_first = sorted(groups, key=lambda g: max(n.published_at or "" for n in g), reverse=True)
    return sorted(newest_first, key=lambda g: _soonest_open(g, today))  # stable: keeps newest first


def _soonest_open(group: Group, today: date | None) -> date:
    dues = [d for n in group if (d := policy.deadline(n)) and (today is None or d >= today)]
    return min(dues, default=date.max)
