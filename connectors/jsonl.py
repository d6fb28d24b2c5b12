"""JSON Lines open-data files, read in byte ranges and filtered (ISO Open Data deliverables …).

ISO publishes one record per line for every deliverable it has ever had (~100 MB, ~80 000
lines) and a committee watches a few dozen of them. The file is read `chunk_bytes` at a time
with HTTP ``Range`` requests (the blob store that serves it honours them), so no answer comes
near the client's size cap and the whole file is never held; only records whose fields match
`match` become items. A server that ignores ``Range`` answers 200 with the whole body, which
then has to fit the cap. If the file is replaced between two ranges (its ETag changes), the
read stops: the next poll reads the new file from the start.
"""
from __future__ import annotations

import json
import re
from dataclasses import replace
from typing import Any, Iterator

from pydantic import BaseModel, ConfigDict

from connectors import html
from connectors.catalog import Source
from connectors.errors import SourceChanged, SourceUnavailable
from connectors.http import HttpClient, Response
from connectors.json_api import fill, lookup
from connectors.registry import Seen, register
from records.items import FetchedItem

_CONTENT_RANGE = re.compile(r"bytes\s+(\d+)-(\d+)/(\d+|\*)")


class JsonLinesOptions(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)

    # Dotted path -> regular expression its value must match; a record must match them all.
    match: dict[str, str]
    # "https://www.iso.org/standard/{id}.html": each {path} is filled from the record.
    url_template: str
    # Joined with a space: the reference and the title ("ISO 22739:2024 Blockchain … — Vocabulary").
    title_paths: list[str] = ["title"]
    date_path: str | None = None
    body_path: str | None = None
    # ISO/IEC harmonized stage code as ISO Open Data writes it (6060); the item's summary
    # carries it the way committee pages print it (60.60), which the transforms read.
    stage_code_path: str | None = None
    chunk_bytes: int = 4 * 1024 * 1024


@register("jsonl", JsonLinesOptions)
def fetch(source: Source, http: HttpClient, seen: Seen) -> list[FetchedItem]:
    """Read the file range by range and return the records that match."""
    opts: JsonLinesOptions = source.options
    patterns = {path: re.compile(rx) for path, rx in opts.match.items()}
    items: dict[str, FetchedItem] = {}
    good = bad = 0
    for record in records(source.url, http, opts.chunk_bytes):
        if record is None:
            bad += 1
            continue
        good += 1
        item = _item(record, source, opts) if matches(record, patterns) else None
        if item is not None:
            items.setdefault(item.url, item)
    if bad and not good:
        raise SourceChanged(f"no line of the file is a JSON record ({bad} lines)", url=source.url)
    # A skipped line may have been one of ours: say so on what we did read, do not drop silently.
    warning = (f"skipped {bad} unreadable line(s) of the file",) if bad else ()
    return [replace(i, warnings=i.warnings + warning) for i in items.values()]


def records(url: str, http: HttpClient, chunk_bytes: int) -> Iterator[Any]:
    """Yield each line's JSON value (None for a line that is not JSON), one range at a time."""
    start, tail, etag = 0, b"", None
    while True:
        response = http.get(url, headers={"Range": f"bytes={start}-{start + chunk_bytes - 1}"})
        etag = _same_file(response, etag, url)
        total = _total(response)
        lines = (tail + response.content).split(b"\n")
        start += len(response.content)
        done = start >= total or not response.content
        tail = b"" if done else lines.pop()  # a line cut by the range ends in the next one
        yield from (_json(line) for line in lines if line.strip())
        if done:
            return


def _total(response: Response) -> int:
    if response.status != 206:
        return len(response.content)  # the server ignored Range: this is the whole file
    found = _CONTENT_RANGE.match(response.headers.get("content-range", ""))
    if not found or found.group(3) == "*":
        raise SourceChanged("a partial answer without a total size in Content-Range", url=response.url)
    return int(found.group(3))


def _same_file(response: Response, etag: str | None, url: str) -> str | None:
    current = response.headers.get("etag")
    if etag is not None and current != etag:
        raise SourceUnavailable("the file was replaced while it was being read; the next poll "
                                "reads the new one", url=url)
    return current


def _json(line: bytes) -> Any:
    try:
        return json.loads(line)
    except ValueError:  # JSONDecodeError, or bytes that are not UTF-8
        return None


def matches(record: Any, patterns: dict[str, re.Pattern[str]]) -> bool:
    """Whether every configured field of the record matches its pattern."""
    return isinstance(record, dict) and all(
        isinstance(value := lookup(record, path), (str, int)) and rx.search(str(value))
        for path, rx in patterns.items())


def stage_label(code: Any) -> str | None:
    """Return ISO's printed form of a harmonized stage code: 6060 -> '60.60'."""
    digits = str(code).strip() if code is not None else ""
    return f"{digits[:2]}.{digits[2:]}" if re.fullmatch(r"\d{4}", digits) else None


def _item(record: dict[str, Any], source: Source, opts: JsonLinesOptions) -> FetchedItem | None:
    parts = [lookup(record, path) for path in opts.title_paths]
    title = " ".join(str(p).strip() for p in parts if isinstance(p, (str, int)) and str(p).strip())
    url = fill(opts.url_template, record)
    if not title or url is None:
        return None
    body = lookup(record, opts.body_path)
    return FetchedItem(
        source_id=source.id, url=url, title=title,
        published=_str(lookup(record, opts.date_path)),
        summary=stage_label(lookup(record, opts.stage_code_path)) or "",
        body=html.text_of(html.parse(f"<div>{body}</div>")) if isinstance(body, str) else "")


def _str(value: Any) -> str | None:
    if not isinstance(value, (str, int)):
        return None
    return str(value).strip() or None
