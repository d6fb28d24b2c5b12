"""The publisher catalogue: a validated YAML list of sources (publishers are data)."""
from __future__ import annotations

import os
import re
from datetime import timedelta
from pathlib import Path
from typing import Any
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

import yaml
from croniter import croniter
from pydantic import BaseModel, ConfigDict, Field, ValidationError, field_validator

from connectors import hosts
from connectors.registry import kinds
from records.notice import KINDS, LEVELS, STAGES

DEFAULT_CATALOG = Path(__file__).with_name("sources.yaml")


class CatalogError(ValueError):
    """The catalogue file cannot be used; the message names the entry."""


class Source(BaseModel):
    """One publisher: the fields every kind shares, plus its kind's validated options."""

    model_config = ConfigDict(extra="forbid", frozen=True)

    id: str = Field(pattern=r"^[a-z0-9][a-z0-9-]{1,62}$")
    kind: str
    url: str = Field(pattern=r"^https?://[^\s/]+")
    name: str | None = None
    issuer: str | None = None
    jurisdiction: str = Field(default="CN", pattern=r"^[A-Z]{2,4}(-[A-Z0-9]{1,3}){0,2}$")
    enabled: bool = True
    schedule: str | None = None
    # How often the publisher is expected to post a notice (`30d`, `12h`, `2w`): with no new
    # notice for several of these it is stale. Unset: learned from its history (regwatch/health.py).
    expect_every: str | None = None
    # Publishers give local times without an offset; Chinese ones are Asia/Shanghai.
    timezone: str | None = None
    allow_private: bool = False
    # Facts true of every notice this publisher lists (an ISO catalogue lists published
    # standards); they override what the classifier infers, as item hints do. `default_level`
    # is weaker: the level of a standard it lists when the notice itself names none.
    hints: dict[str, str] = Field(default_factory=dict)
    options: Any = None

    @field_validator("hints")
    @classmethod
    def _known_hints(cls, value: dict[str, str]) -> dict[str, str]:
        allowed = {"kind": KINDS, "stage": STAGES, "level": LEVELS, "default_level": LEVELS}
        for key, hint in value.items():
            if key not in allowed or hint not in allowed[key]:
                raise ValueError(f"hint {key}={hint!r} is not one of the Notice vocabularies")
        return value

    @field_validator("timezone")
    @classmethod
    def _known_zone(cls, value: str | None) -> str | None:
        if value is not None:
            try:
                ZoneInfo(value)
            except (ZoneInfoNotFoundError, ValueError):
                raise ValueError(f"unknown time zone {value!r}") from None
        return value

    @field_validator("expect_every")
    @classmethod
    def _valid_cadence(cls, value: str | None) -> str | None:
        if value is not None and not re.fullmatch(r"[1-9][0-9]{0,3}[hdw]", value):
            raise ValueError(f"not a cadence like 12h, 30d or 2w: {value!r}")
        return value

    @field_validator("schedule")
    @classmethod
    def _valid_cron(cls, value: str | None) -> str | None:
        if value is not None and not croniter.is_valid(value):
            raise ValueError(f"not a cron expression: {value!r}")
        return value

    @property
    def expected_every(self) -> timedelta | None:
        """`expect_every` as a duration (None: not configured)."""
        if self.expect_every is None:
            return None
        return int(self.expect_every[:-1]) * _UNITS[self.expect_every[-1]]

    @property
    def zone(self) -> str:
        """The publisher's time zone: as configured, else by jurisdiction."""
        return self.timezone or _ZONES.get(self.jurisdiction.split("-")[0], "UTC")

    @property
    def origin(self) -> str:
        """Scheme, host and port: what a replay or stand-in server replaces."""
        scheme, rest = self.url.split("://", 1)
        return f"{scheme}://{rest.split('/', 1)[0]}"

    @property
    def host(self) -> str:
        """The server this publisher lives on: its publishers are polled one at a time."""
        return hosts.host(self.url)

    @property
    def host_slug(self) -> str:
        """The host as the poll DAG names its task (`poll_<slug>`)."""
        return hosts.host_slug(self.url)


_UNITS = {"h": timedelta(hours=1), "d": timedelta(days=1), "w": timedelta(weeks=1)}
_ZONES = {"CN": "Asia/Shanghai", "HK": "Asia/Hong_Kong", "US": "America/New_York",
          "EU": "Europe/Brussels", "GB": "Europe/London", "JP": "Asia/Tokyo", "SG": "Asia/Singapore"}
_COMMON = set(Source.model_fields) - {"options"}


def parse_entry(entry: Any, position: int) -> Source:
    """Validate one catalogue entry, naming it in any error."""
    if not isinstance(entry, dict):
        raise CatalogError(f"entry #{position}: expected a mapping, got {type(entry).__name__}")
    ident = entry.get("id", f"#{position}")
    kind = kinds().get(str(entry.get("kind")))
    if kind is None:
        raise CatalogError(f"source {ident}: unknown kind {entry.get('kind')!r} "
                           f"(known: {', '.join(sorted(kinds()))})")
    common = {k: v for k, v in entry.items() if k in _COMMON}
    extra = {k: v for k, v in entry.items() if k not in _COMMON}
    try:
        options = kind.options.model_validate(extra)
        return Source.model_validate({**common, "options": options})
    except ValidationError as exc:
        problems = "; ".join(f"{'.'.join(map(str, e['loc'])) or 'entry'}: {e['msg']}"
                             for e in exc.errors())
        raise CatalogError(f"source {ident}: {problems}") from None


# libyaml's safe loader when PyYAML has it: the pure-Python one took 2.4 CPU s for 3,000 sources.
_LOADER = getattr(yaml, "CSafeLoader", yaml.SafeLoader)


def load_catalog(path: str | os.PathLike[str] | None = None) -> list[Source]:
    """Load and validate a catalogue (default: $REGWATCH_CATALOG or connectors/sources.yaml)."""
    path = Path(path or os.environ.get("REGWATCH_CATALOG") or DEFAULT_CATALOG)
    try:
        data = yaml.load(path.read_text(encoding="utf-8"), Loader=_LOADER)  # noqa: S506 — a safe loader
    except OSError as exc:
        raise CatalogError(f"cannot read catalogue {path}: {exc.strerror}") from None
    except yaml.YAMLError as exc:
        raise CatalogError(f"catalogue {path} is not valid YAML: {exc}") from None
    if not isinstance(data, list):
        raise CatalogError(f"catalogue {path}: expected a list of sources")
    sources = [parse_entry(entry, i + 1) for i, entry in enumerate(data)]
    seen: set[str] = set()
    for source in sources:
        if source.id in seen:
            raise CatalogError(f"source {source.id}: duplicate id")
        seen.add(source.id)
    return sources
