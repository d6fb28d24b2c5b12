"""Commands for the services around regwatch: indices, Kibana, the local node, stand-ins."""
from __future__ import annotations

import argparse
import os
import sys
from pathlib import Path
from typing import Sequence

from connectors import store
from infra import local_es
from records.settings import positive
from regwatch.commands import UsageError

# --- init / kibana ----------------------------------------------------------------------------

def cmd_init(args: argparse.Namespace) -> int:
    analyzer = store.ensure_indices(store.connect())
    print(f"indices ready: {', '.join(f'{a} -> {i}' for a, i in store.INDICES.items())}; "
          f"Chinese subfields: {analyzer or 'none (standard analyzer only)'}")
    return 0


def cmd_kibana(args: argparse.Namespace) -> int:
    from infra.kibana.client import KibanaError, import_objects

    if not args.url:
        raise UsageError("give Kibana's address with --url or $KIBANA_URL")
    try:
        done = import_objects(args.url, space=args.space)
    except KibanaError as exc:
        print(f"regwatch kibana: error: {exc}", file=sys.stderr)
        return 2
    print(f"imported {done.count} saved objects into {args.url}"
          + (f" (space {args.space})" if args.space else ""))
    if done.new_ids:  # links and bookmarks by id open the copy in the other space, not these
        moved = ", ".join(f"{kind} {old} -> {new}" for kind, old, new in done.new_ids)
        print(f"regwatch kibana: warning: Kibana gave {len(done.new_ids)} objects new ids (the same "
              f"ids exist in another space): {moved}", file=sys.stderr)
    return 0


# --- local services -------------------------------------------------------------------------------

def cmd_es(args: argparse.Namespace) -> int:
    node = local_es.Node(port=int(positive("REGWATCH_ES_PORT")))
    if args.action == "start":
        local_es.start(node)
        print(f"Elasticsearch {local_es.ES_VERSION} running at {node.url} (data in {node.dir})")
    elif args.action == "stop":
        print("stopped" if local_es.stop(node) else "not running")
    else:
        state = local_es.status(node)
        print(f"{state} ({node.url})")
        return 0 if state == "running" else 3
    return 0


def cmd_replay(args: argparse.Namespace) -> int:
    from infra.replay import ReplayServer

    root = Path(args.root) if args.root else checkout_fixtures()
    if not any(root.glob("*/routes.yaml")):
        raise UsageError(f"no recorded publishers (<source_id>/routes.yaml) under {root}")
    try:
        server = ReplayServer(root, args.port)
    except OSError as exc:
        raise UsageError(f"cannot listen on 127.0.0.1:{args.port}: {exc.strerror}") from None
    print(f"replaying {len(server.routes)} recorded pages from {root} at {server.base}", flush=True)
    try:
        server.serve_forever()
    except KeyboardInterrupt:
        pass
    return 0


def checkout_fixtures(bases: Sequence[Path] | None = None) -> Path:
    """`tests/fixtures` of the checkout regwatch runs from; an installed package has none."""
    # The checkout this code was loaded from (an editable install), else the current directory.
    for base in bases or (Path(__file__).resolve().parents[2], Path.cwd()):
        if any((base / "tests" / "fixtures").glob("*/routes.yaml")):
            return base / "tests" / "fixtures"
    raise UsageError("no recorded publishers here (not a checkout with tests/fixtures): "
                     "give the fixture folder with --root DIR")


def cmd_serve(args: argparse.Namespace) -> int:
    """The subscriber-facing web app (alerts/web), or Slack's Socket Mode for the same handlers."""
    if args.socket_mode:
        from alerts.web import socket_mode

        return socket_mode.run()
    import uvicorn

    from alerts.web.app import create_app

    print(f"regwatch web app on http://{args.host}:{args.port}; Slack request URLs: "
          f"{public_url(args.host, args.port)}/slack/commands and …/slack/interactions", flush=True)
    try:
        uvicorn.run(create_app(), host=args.host, port=args.port, log_level="warning",
                    proxy_headers=True, server_header=False)
    except KeyboardInterrupt:
        pass
    return 0


def public_url(host: str, port: int) -> str:
    """REGWATCH_PUBLIC_URL (what Slack and e-mailed links reach), else the address served."""
    return (os.environ.get("REGWATCH_PUBLIC_URL") or f"http://{host}:{port}").rstrip("/")


def cmd_mailbox(args: argparse.Namespace) -> int:
    import time

    from aiosmtpd.controller import Controller
    from aiosmtpd.handlers import Mailbox

    os.makedirs(os.path.dirname(os.path.abspath(args.path)), exist_ok=True)
    controller = Controller(Mailbox(args.path), hostname="127.0.0.1", port=args.port)
    controller.start()
    print(f"local mailbox: SMTP on 127.0.0.1:{args.port}, messages in {args.path}", flush=True)
    try:
        while True:
            time.sleep(3600)
    except KeyboardInterrupt:
        controller.stop()
    return 0
