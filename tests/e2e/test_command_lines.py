"""Every `regwatch …` line of the shipped Markdown parses with the real parser, so they cannot drift.

A line is a concrete command (`regwatch search 区块链`) or a synopsis (`regwatch es
start|stop|status`, `[--daily [--digest-hour 9]]`, `(--slack CHANNEL | --email ADDRESS)`,
`--since/--until DATE`, `--stage …`). A synopsis expands into concrete invocations that between
them take every alternative and every optional flag, plus the one with no optional part;
placeholders (upper-case words, `…`) get a sample value. Each must parse, and every flag it
names must be an option of that subcommand exactly (argparse would also take an abbreviation).
"""
from __future__ import annotations

import argparse
import re
from pathlib import Path
from typing import Union

import pytest

from regwatch.cli import build_parser
from tests.conftest import REPO

SHIPPED_DOCS = ("infra", "tests", "bench", "regwatch", "connectors", "transforms", "alerts", "dags")
DOCS = [REPO / "README.md", *sorted(p for folder in SHIPPED_DOCS for p in (REPO / folder).rglob("*.md")
                                    if "fixtures" not in p.parts)]
SAMPLES = {"…": "x", "TEXT": "区块链", "PATH": "connectors/sources.yaml", "URL": "http://127.0.0.1:8765",
           "FEED_URL": "https://example.org/feed.xml", "ID": "sub-0123", "N": "7",
           "ISO": "2026-01-05T09:00:00+08:00", "DATE": "2026-01-05", "CHANNEL": "#standards",
           "ADDRESS": "analyst@example.org", "S": "compliance", "DIR": "tests/fixtures"}
TOKEN = re.compile(r""""[^"]*"|'[^']*'|[\[\]()]|[^\s\[\]()]+""")
SPAN = re.compile(r"`([^`]+)`")
SHELL_SEPARATORS = re.compile(r"&&|\|\||;")

Seq = list["Item"]
Item = Union[str, tuple[str, list[Seq]]]  # a word, or ("opt" | "one", alternatives)


# --- finding the lines -------------------------------------------------------------------------

def command_lines(path: Path) -> list[str]:
    """The `regwatch …` lines of one Markdown file: in code spans and in fenced code blocks."""
    found, fenced = [], False
    for line in path.read_text(encoding="utf-8").splitlines():
        if line.lstrip().startswith("```"):
            fenced = not fenced
        elif fenced:
            code = re.sub(r"(^|\s)#.*", "", line)
            found += [_as_regwatch(part) for part in SHELL_SEPARATORS.split(code)]
        else:
            found += [_as_regwatch(span.replace("\\|", "|")) for span in SPAN.findall(line)]
    return [f for f in found if f]


def _as_regwatch(text: str) -> str | None:
    words = text.split()
    # `.venv/bin/regwatch …` is the command; `/regwatch …` is Slack's slash command (alerts/slash.py).
    if (len(words) > 1 and words[0].rsplit("/", 1)[-1] == "regwatch" and words[0] != "/regwatch"
            and re.match(r"[a-z-]", words[1])):
        return "regwatch " + " ".join(words[1:])
    return None


# --- expanding a synopsis ----------------------------------------------------------------------

def parse_synopsis(line: str) -> list[Seq]:
    """Read a synopsis into alternatives of sequences of words and groups."""
    tokens = TOKEN.findall(line)
    alternatives, end = _group(tokens, 0, None)
    assert end == len(tokens) and len(alternatives) == 1, f"unbalanced synopsis: {line}"
    return alternatives


def _group(tokens: list[str], pos: int, closer: str | None) -> tuple[list[Seq], int]:
    alternatives: list[Seq] = [[]]
    while pos < len(tokens):
        token, pos = tokens[pos], pos + 1
        if token == closer:
            return alternatives, pos
        if token in ("]", ")"):
            raise AssertionError(f"unexpected {token!r}")
        if token == "|":
            alternatives.append([])
        elif token in ("[", "("):
            inner, pos = _group(tokens, pos, "]" if token == "[" else ")")
            alternatives[-1].append(("opt" if token == "[" else "one", inner))
        else:
            alternatives[-1].append(_word(token))
    assert closer is None, f"missing {closer!r}"
    return alternatives, pos


def _word(token: str) -> Item:
    if "|" in token:  # start|stop|status
        return ("one", [[w] for w in token.split("|")])
    if token.startswith("--") and "/--" in token:  # --since/--until
        return ("one", [[w] for w in token.split("/")])
    return token


def expand(alternatives: list[Seq], pick: int, optional: bool) -> list[str]:
    """One concrete invocation: alternative `pick` (modulo) of every choice; optional parts or not."""
    words: list[str] = []
    for item in alternatives[pick % len(alternatives)]:
        if isinstance(item, str):
            words.append(item)
        elif item[0] == "one" or optional:
            words += expand(item[1], pick, optional)
    return words


def _width(alternatives: list[Seq]) -> int:
    inner = [_width(item[1]) for seq in alternatives for item in seq if not isinstance(item, str)]
    return max([len(alternatives), *inner])


def invocations(line: str) -> list[list[str]]:
    """Concrete argument lists (without `regwatch`) that cover every part of the synopsis."""
    tree = parse_synopsis(line)
    variants = [expand(tree, pick, True) for pick in range(_width(tree))] + [expand(tree, 0, False)]
    unique = list(dict.fromkeys(tuple(v) for v in variants))
    return [[_sample(w) for w in v[1:]] for v in unique]


def _sample(word: str) -> str:
    if word[:1] in "\"'" and word[-1:] == word[:1]:
        return word[1:-1]
    if word == "…" or re.fullmatch(r"[A-Z][A-Z_]*", word):
        assert word in SAMPLES, f"no sample value for placeholder {word}: add one to SAMPLES"
        return SAMPLES[word]
    return word


# --- the parser's own options --------------------------------------------------------------------

def _options(parser: argparse.ArgumentParser) -> set[str]:
    return {s for action in parser._actions for s in action.option_strings}  # noqa: SLF001


def _subcommands(parser: argparse.ArgumentParser) -> dict[str, argparse.ArgumentParser]:
    action = next(a for a in parser._actions if isinstance(a, argparse._SubParsersAction))  # noqa: SLF001
    return dict(action.choices)


def check(argv: list[str]) -> str:
    """Parse one invocation with the real parser; return its subcommand. Fail on any drift."""
    parser = build_parser()
    try:
        args = parser.parse_args(argv)
    except SystemExit as exc:
        raise AssertionError(f"`regwatch {' '.join(argv)}` does not parse (exit {exc.code})") from None
    known = _options(parser) | _options(_subcommands(parser)[args.command])
    unknown = [w for w in argv if w.startswith("--") and w not in known]
    assert not unknown, f"`regwatch {' '.join(argv)}`: {unknown} is not an option of `{args.command}`"
    return args.command


LINES = sorted({(path.relative_to(REPO).as_posix(), line) for path in DOCS for line in command_lines(path)})


@pytest.mark.parametrize("doc, line", LINES, ids=[f"{doc}: {line[:70]}" for doc, line in LINES])
def test_every_documented_command_line_parses(doc, line, capsys) -> None:
    for argv in invocations(line):
        check(argv)
    assert "usage:" not in capsys.readouterr().err


def test_the_readme_documents_every_subcommand() -> None:
    readme = {tuple(argv) for line in command_lines(REPO / "README.md") for argv in invocations(line)}
    documented = {check(list(argv)) for argv in readme}
    assert documented == set(_subcommands(build_parser()))
    # the line of issue 12 (§2), which once exited 2
    assert ("run", "--once", "--catalog", SAMPLES["PATH"], "--replay", SAMPLES["URL"]) in readme


def test_the_expander_covers_alternatives_and_optional_parts() -> None:
    got = invocations("regwatch es (start | stop) [--a/--b N [--c]] x|y")
    assert got == [["es", "start", "--a", "7", "--c", "x"], ["es", "stop", "--b", "7", "--c", "y"],
                   ["es", "start", "x"]]


@pytest.mark.parametrize("argv, message", [
    (["run", "--once", "--catalogue", "x"], "does not parse"),           # an unknown flag
    (["search", "--open"], "is not an option of `search`"),             # an abbreviation
    (["es", "restart"], "does not parse"),                               # an unknown choice
])
def test_drift_is_caught(argv, message, capsys) -> None:
    with pytest.raises(AssertionError, match=message):
        check(argv)
    capsys.readouterr()


@pytest.mark.parametrize("argv", [["classify"], ["fetch", "--source", "x"], ["sources"], ["run", "--once"],
                                  ["subscribe", "--console"]])
def test_catalog_goes_before_or_after_the_subcommand_and_after_wins(argv) -> None:
    parse = build_parser().parse_args
    command, rest = argv[0], argv[1:]
    assert parse(argv).catalog is None
    assert parse(["--catalog", "before.yaml", *argv]).catalog == "before.yaml"
    assert parse([command, "--catalog", "after.yaml", *rest]).catalog == "after.yaml"
    both = ["--catalog", "before.yaml", command, *rest, "--catalog", "after.yaml"]
    assert parse(both).catalog == "after.yaml"
