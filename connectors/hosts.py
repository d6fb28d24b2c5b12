"""What one host is, for politeness: one server name, whatever the scheme or port.

A ministry serving several columns (or http and https, or two ports) is one server, so its
publishers are polled one after another (``regwatch run`` and the poll DAG's task per host)
and the HTTP client spaces its requests to it. Standard library only: the DAG file reads the
hosts of the catalogue at parse time, where nothing heavy may be imported.
"""
from __future__ import annotations

import re
from urllib.parse import urlsplit


def host(url: str) -> str:
    """The server name of a URL, lower-cased (`https://www.MIIT.gov.cn:443/a` -> `www.miit.gov.cn`)."""
    return (urlsplit(url).hostname or "unknown").lower()


def host_slug(url: str) -> str:
    """The same host as a task-id-safe name (`www_miit_gov_cn`)."""
    return re.sub(r"[^a-z0-9]+", "_", host(url)).strip("_")
