"""Source kinds, registered by a short ``kind`` string (urlwatch's job registry)."""
from __future__ import annotations

import importlib
from dataclasses import dataclass
from typing import TYPE_CHECKING, Callable

from pydantic import BaseModel

if TYPE_CHECKING:
    from connectors.catalog import Source
    from connectors.http import HttpClient
    from records.items import FetchedItem

# One line per kind module; importing it registers the kind.
KIND_MODULES = ("connectors.rss", "connectors.jpaas_unit", "connectors.gkmlpt", "connectors.html_list",
                "connectors.samr_std", "connectors.json_api", "connectors.jsonl")

# Given candidate URLs, return those already indexed complete: detail pages are fetched for new
# items, and again for those whose detail page failed on an earlier poll.
Seen = Callable[[list[str]], set[str]]
FetchFn = Callable[["Source", "HttpClient", Seen], "list[FetchedItem]"]


@dataclass(frozen=True)
class Kind:
    name: str
    options: type[BaseModel]
    fetch: FetchFn
    # Notice fields this kind's items may state outright as hints (FetchedItem.hints). They are
    # not stored apart from the notice, so `regwatch reprocess` keeps the stored value of these
    # fields rather than replace a publisher's statement with the classifier's guess.
    stated: tuple[str, ...] = ()
    # fetch reads one conditional list and nothing else, so a list answered 304 yields the items
    # of the last poll: the pipeline skips the parse (HttpClient.stop_if_unchanged).
    one_list: bool = False


KINDS: dict[str, Kind] = {}


def register(name: str, options: type[BaseModel], stated: tuple[str, ...] = (), *,
             one_list: bool = False) -> Callable[[FetchFn], FetchFn]:
    """Register a kind's fetch function, its options model and the fields its hints state."""

    def decorate(fn: FetchFn) -> FetchFn:
        KINDS[name] = Kind(name, options, fn, stated, one_list)
        return fn

    return decorate


def kinds() -> dict[str, Kind]:
    """Return every registered kind, importing the kind modules on first use."""
    # Once per process: import_module takes the import lock even for a loaded module, and a
    # cycle's hundreds of threads asking at once queued on it behind a real import.
    if not _IMPORTED:
        for module in KIND_MODULES:
            importlib.import_module(module)
        _IMPORTED.append(True)
    return KINDS


_IMPORTED: list[bool] = []
