"""The replay server answers as the recorded sites do, including their refusals."""
from __future__ import annotations

from pathlib import Path

import httpx

from infra.replay import ReplayServer


def _root(tmp_path: Path) -> Path:
    folder = tmp_path / "site"
    folder.mkdir()
    (folder / "page.html").write_text("<html>ok</html>", encoding="utf-8")
    (folder / "routes.yaml").write_text(
        "- path: /list.html\n  file: page.html\n"
        "  require_headers: {Referer: '^https://example\\.org/', User-Agent: '^Mozilla/'}\n",
        encoding="utf-8")
    return tmp_path


def test_a_route_that_requires_headers_refuses_a_bare_request_with_403(tmp_path: Path) -> None:
    server = ReplayServer(_root(tmp_path)).start()
    try:
        url = f"{server.base}/site/list.html"
        assert httpx.get(url, headers={"User-Agent": "python-httpx"}).status_code == 403
        assert httpx.get(url, headers={"User-Agent": "Mozilla/5.0", "Referer": "https://other/"}).status_code == 403
        ok = httpx.get(url, headers={"User-Agent": "Mozilla/5.0 (compatible)", "Referer": "https://example.org/a"})
        assert (ok.status_code, ok.text) == (200, "<html>ok</html>")
    finally:
        server.stop()
