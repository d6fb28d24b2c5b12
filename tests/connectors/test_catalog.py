"""The catalogue is data, validated at load with the entry's id in every error."""
from __future__ import annotations

from pathlib import Path

import pytest

from connectors.catalog import DEFAULT_CATALOG, CatalogError, load_catalog

# Publishers whose server answers plain http only; every other one is polled over https.
HTTP_ONLY = {"tcrm-gs",  # org.sacinfo.org.cn:8088 (code-corpus file id 62091749840)
             # Guangdong gkmlpt and static sites: "HTTPS fails" (file ids 53836515905, 54357710575)
             "sz-amr", "gd-amr-tzgg", "gd-amr-gkmlpt",
             "pbc-kjs"}  # as RSSHub and the crawler of file id 70990762306 reach it


def test_the_real_catalogue_loads() -> None:
    sources = load_catalog(DEFAULT_CATALOG)
    assert {s.id for s in sources} >= {"miit-yjzj", "nist-csrc"}
    assert all(s.url.startswith("https://") for s in sources if s.id not in HTTP_ONLY)
    assert all(s.url.startswith("http://") for s in sources if s.id in HTTP_ONLY)


def test_every_channel_of_the_watch_is_enabled() -> None:
    """Issue 13's bar: at least 30 enabled publishers, across the Chinese and international bodies."""
    enabled = [s for s in load_catalog(DEFAULT_CATALOG) if s.enabled]
    assert len(enabled) >= 30
    assert {s.jurisdiction.split("-")[0] for s in enabled} >= {"CN", "INTL", "US"}
    assert {"miit-kjs-bzgf", "hbba", "ttbz", "tc260-zqyj", "iso-opendata-tc307", "itu-t-sg17"} <= {s.id for s in enabled}


def test_a_publishers_facts_are_hints(tmp_path: Path) -> None:
    path = tmp_path / "s.yaml"
    path.write_text('- {id: a-feed, kind: rss, url: "https://x.org/f", '
                    'hints: {kind: standard, default_level: group}}\n')
    assert load_catalog(path)[0].hints == {"kind": "standard", "default_level": "group"}


def test_smallest_entry_is_valid(tmp_path: Path) -> None:
    path = tmp_path / "s.yaml"
    path.write_text('- {id: my-feed, kind: rss, url: "https://example.org/feed.xml"}\n')
    [source] = load_catalog(path)
    assert source.enabled and source.jurisdiction == "CN" and source.options.max_items == 200


@pytest.mark.parametrize("yaml_text, message", [
    ('- {id: a-feed, kind: rss, url: "https://x.org/f", colour: red}', "source a-feed: colour"),
    ('- {id: a-feed, kind: telepathy, url: "https://x.org/f"}', "source a-feed: unknown kind 'telepathy'"),
    ('- {id: a-feed, kind: rss, url: "https://x.org/f"}\n- {id: a-feed, kind: rss, url: "https://y.org/f"}',
     "source a-feed: duplicate id"),
    ('- {id: a-feed, kind: rss, url: "ftp://x.org/f"}', "source a-feed: url"),
    ('- {id: a-page, kind: jpaas-unit, url: "https://x.org/", item_selectr: li}', "source a-page: item_selectr"),
    ('{id: a-feed}', "expected a list"),
    ('- [1, 2]', "entry #1"),
    ('- {id: a-feed, kind: rss, url: "https://x.org/f"\n', "not valid YAML"),
    ('- {id: a-feed, kind: rss, url: "https://x.org/f", hints: {default_level: city}}',
     "source a-feed: hints: Value error, hint default_level='city' is not one of the Notice vocabularies"),
    ('- {id: a-feed, kind: rss, url: "https://x.org/f", hints: {issuer: NIST}}', "source a-feed: hints"),
])
def test_bad_entries_fail_naming_the_entry(tmp_path: Path, yaml_text: str, message: str) -> None:
    path = tmp_path / "s.yaml"
    path.write_text(yaml_text)
    with pytest.raises(CatalogError, match=message.replace("(", r"\(")):
        load_catalog(path)
