"""`regwatch kibana import` against a loopback server that checks what Kibana would check."""
from __future__ import annotations

import base64
import json
import threading
from email import message_from_bytes, policy
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from urllib.parse import parse_qs, urlsplit

import pytest

from infra.kibana import build
from regwatch import cli


class FakeKibana(ThreadingHTTPServer):
    """Answers `POST /api/saved_objects/_import` like Kibana, after checking the request."""

    daemon_threads = True

    def __init__(self, expect_auth: str | None, reply: tuple | None = None) -> None:
        super().__init__(("127.0.0.1", 0), _Handler)
        self.expect_auth, self.reply, self.requests = expect_auth, reply, []
        threading.Thread(target=self.serve_forever, daemon=True).start()

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self.server_address[1]}"

    def answer(self, method: str, path: str, headers: dict[str, str], body: bytes) -> tuple:
        """(status, JSON body) as Kibana answers; a `reply` given may add headers or a raw body."""
        url = urlsplit(path)
        self.requests.append({"method": method, "path": url.path, "query": parse_qs(url.query)})
        if headers.get("authorization") != self.expect_auth:
            return 401, {"statusCode": 401, "error": "Unauthorized", "message": "[security_exception]"}
        if method != "POST" or not url.path.endswith("/api/saved_objects/_import"):
            return 404, {"statusCode": 404, "error": "Not Found", "message": "Not Found"}
        if headers.get("kbn-xsrf") != "true":
            return 400, {"statusCode": 400, "error": "Bad Request",
                         "message": "Request must contain a kbn-xsrf header."}
        if parse_qs(url.query) != {"overwrite": ["true"]}:
            return 400, {"statusCode": 400, "error": "Bad Request", "message": "bad query"}
        form = message_from_bytes(b"Content-Type: " + headers["content-type"].encode() + b"\r\n\r\n"
                                  + body, policy=policy.HTTP)
        parts = {p.get_param("name", header="content-disposition"): p for p in form.iter_parts()}
        if set(parts) != {"file"} or not parts["file"].get_filename("").endswith(".ndjson"):
            return 415, {"statusCode": 415, "error": "Unsupported Media Type", "message": "file"}
        lines = parts["file"].get_payload(decode=True).decode().splitlines()
        self.requests[-1]["objects"] = [json.loads(line) for line in lines]
        return self.reply or (200, {"success": True, "successCount": len(lines), "successResults": []})


class _Handler(BaseHTTPRequestHandler):
    server: FakeKibana

    def _any(self) -> None:
        body = self.rfile.read(int(self.headers.get("Content-Length", 0)))
        status, reply, *extra = self.server.answer(self.command, self.path,
                                                   {k.lower(): v for k, v in self.headers.items()}, body)
        headers = {"Content-Type": "application/json", **(extra[0] if extra else {})}
        data = reply if isinstance(reply, bytes) else json.dumps(reply).encode()
        self.send_response(status)
        for name, value in {**headers, "Content-Length": str(len(data))}.items():
            self.send_header(name, value)
        self.end_headers()
        self.wfile.write(data)

    do_POST = do_GET = _any  # noqa: N815

    def log_message(self, *args: object) -> None:
        pass


@pytest.fixture
def kibana_env(monkeypatch: pytest.MonkeyPatch):
    for name in ("KIBANA_API_KEY", "KIBANA_USERNAME", "KIBANA_PASSWORD"):
        monkeypatch.delenv(name, raising=False)
    return monkeypatch


def _run(server: FakeKibana, *extra: str) -> int:
    try:
        return cli.main(["kibana", "import", "--url", server.url, *extra])
    finally:
        server.shutdown()
        server.server_close()


def test_imports_every_object_with_basic_auth(kibana_env, capsys) -> None:
    kibana_env.setenv("KIBANA_USERNAME", "elastic")
    kibana_env.setenv("KIBANA_PASSWORD", "s3cret-Pw")
    server = FakeKibana("Basic " + base64.b64encode(b"elastic:s3cret-Pw").decode())
    assert _run(server) == 0
    sent = server.requests[0]
    assert sent["path"] == "/api/saved_objects/_import" and sent["query"] == {"overwrite": ["true"]}
    assert sent["objects"] == [json.loads(line) for line in build.render().splitlines()]
    assert capsys.readouterr().out.strip() == f"imported {len(sent['objects'])} saved objects into {server.url}"


def test_api_key_and_space(kibana_env, capsys) -> None:
    kibana_env.setenv("KIBANA_API_KEY", "a2V5OnNlY3JldA==")
    server = FakeKibana("ApiKey a2V5OnNlY3JldA==")
    assert _run(server, "--space", "compliance") == 0
    assert server.requests[0]["path"] == "/s/compliance/api/saved_objects/_import"
    assert "(space compliance)" in capsys.readouterr().out


def _failure(kind: str, object_id: str, error: dict) -> dict:
    """One entry of `errors` as Kibana sends it (SavedObjectsImportFailure)."""
    return {"id": object_id, "type": kind, "meta": {"title": object_id, "icon": "x"}, "error": error}


@pytest.mark.parametrize("errors, detail", [
    ([_failure("index-pattern", "regwatch-notices", {"type": "conflict"})],
     "index-pattern regwatch-notices: conflict"),
    ([_failure("search", "regwatch-open-drafts", {"type": "missing_references", "references": [
        {"type": "index-pattern", "id": "regwatch-notices"}, {"type": "index-pattern", "id": "regwatch-x"}]}),
      _failure("lens", "regwatch-by-stage", {"type": "unknown", "statusCode": 400,
                                             "message": "Unsupported\n  saved object version"})],
     "search regwatch-open-drafts: missing_references (missing index-pattern regwatch-notices, "
     "index-pattern regwatch-x); lens regwatch-by-stage: unknown (Unsupported saved object version)"),
])
def test_rejected_objects_give_one_line_and_a_failure(kibana_env, capsys, errors, detail) -> None:
    server = FakeKibana(None, (200, {"success": False, "successCount": 9, "errors": errors,
                                     "warnings": []}))
    assert _run(server) == 2
    err = capsys.readouterr().err
    rejected = f"Kibana imported 9 objects and rejected {len(errors)}: {detail}"
    assert err == f"regwatch kibana: error: {rejected}\n"


@pytest.mark.parametrize("reply, message", [
    ((302, b"", {"Location": "https://sso.example.org/login"}),
     "Kibana's address redirects (HTTP 302 to https://sso.example.org/login): "
     "give the final address with --url"),
    ((200, b"<html><body>nginx</body></html>", {"Content-Type": "text/html"}),
     "no JSON in the answer (HTTP 200, text/html): is it Kibana?"),
    ((502, b"Bad Gateway", {"Content-Type": "text/plain"}),
     "Kibana refused the import (HTTP 502): Bad Gateway"),
    ((400, {"statusCode": 400, "error": "Bad Request", "message": "Invalid file\nextension .txt"}),
     "Kibana refused the import (HTTP 400): Invalid file extension .txt"),
])
def test_a_redirect_or_an_answer_that_is_not_kibanas_fails_with_its_status(kibana_env, capsys, reply,
                                                                            message) -> None:
    assert _run(FakeKibana(None, reply)) == 2
    assert capsys.readouterr().err == f"regwatch kibana: error: {message}\n"


def test_new_ids_in_a_second_space_are_a_warning(kibana_env, capsys) -> None:
    results = [{"type": "index-pattern", "id": "regwatch-notices", "destinationId": "6f0c-1", "meta": {}},
               {"type": "search", "id": "regwatch-open-drafts", "meta": {}},
               {"type": "dashboard", "id": "regwatch-overview", "destinationId": "9a2e-2", "meta": {}}]
    server = FakeKibana(None, (200, {"success": True, "successCount": 3, "successResults": results,
                                     "warnings": []}))
    assert _run(server, "--space", "compliance") == 0
    out, err = capsys.readouterr()
    assert out == f"imported 3 saved objects into {server.url} (space compliance)\n"
    assert err == ("regwatch kibana: warning: Kibana gave 2 objects new ids (the same ids exist in "
                   "another space): index-pattern regwatch-notices -> 6f0c-1, "
                   "dashboard regwatch-overview -> 9a2e-2\n")


def test_wrong_credentials_give_one_line_without_the_password(kibana_env, capsys) -> None:
    kibana_env.setenv("KIBANA_USERNAME", "elastic")
    kibana_env.setenv("KIBANA_PASSWORD", "wrong-Pw-42")
    server = FakeKibana("Basic something-else")
    assert _run(server) == 2
    err = capsys.readouterr().err
    assert "HTTP 401" in err and "wrong-Pw-42" not in err and err.count("\n") == 1


def test_unreachable_kibana(kibana_env, capsys) -> None:
    server = FakeKibana(None)
    url = server.url
    server.shutdown()
    server.server_close()
    assert cli.main(["kibana", "import", "--url", url]) == 2
    assert capsys.readouterr().err.startswith(f"regwatch kibana: error: cannot reach Kibana at {url}")
