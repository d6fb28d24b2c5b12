"""The committees responsible for a notice (SAC/TC 590, ISO/TC 307 …) and its plan numbers (计划号)."""
from __future__ import annotations

import re
from importlib import resources
from typing import Iterable

import yaml

from transforms._text import fold, lines_with

_NAMES: dict[str, str] = {
    fold(name): code
    for code, names in yaml.safe_load(
        resources.files("transforms").joinpath("committees.yaml").read_text(encoding="utf-8")).items()
    for name in names
}
_NAME = re.compile("|".join(map(re.escape, sorted(_NAMES, key=len, reverse=True))))
# Case-sensitive: "tc260@tc260.org.cn" is an address, "TC260" a committee.
_TC = re.compile(
    r"(?<![A-Za-z])(?:(?P<body>SAC|ISO|IEC)\s*/?\s*)?TC\s*(?P<tc>\d{1,3})(?:\s*/\s*SC\s*(?P<sc>\d{1,3}))?(?![0-9])"
    r"|(?<![A-Za-z])(?:ISO/IEC\s*)?JTC\s*1(?:\s*/\s*SC\s*(?P<jsc>\d{1,3}))?(?![0-9])"
    r"|ITU-T\s+(?:SG\s*|Study\s+Group\s+)(?P<sg>\d{1,2})(?![0-9])"
)
# What a line needs before folding to hold a committee or a plan number (full-width forms included).
_COMMITTEE_CUE = re.compile(r"委[员員][会會]|(?=[TＴSJ])(?:[TＴ]\s*[CＣ]|SG|Study)")
_PLAN_CUE = re.compile(r"[0-9０-９]{8}")
_CJK = re.compile(r"[\u4e00-\u9fff]")
# National plan numbers: year and sequence (8 digits), T/Z/Q for recommended/guidance/mandatory,
# and the three-digit code of the department in charge: 20210929-T-469.
_PLAN = re.compile(r"(?<![0-9A-Za-z\-])((?:19|20)\d{6})\s*-\s*([TZQ])\s*-\s*(\d{3})(?![0-9A-Za-z])")


def committees(text: str) -> list[str]:
    """Return the committees named in `text`, normalised ("SAC/TC 590", "ISO/TC 307"), in order."""
    folded = _lines(text or "", _COMMITTEE_CUE)
    # A bare "TC260" in a Chinese notice is a national committee; in an English one it stays bare.
    bare = "SAC/" if _CJK.search(folded) else ""
    found = [(m.start(), _render(m, bare)) for m in _TC.finditer(folded)]
    found += [(m.start(), _NAMES[m.group()]) for m in _NAME.finditer(folded)]
    return _unique(code for _, code in sorted(found))


def plan_numbers(text: str) -> list[str]:
    """Return the standard plan numbers (计划号) in `text`, e.g. "20210929-T-469", in order."""
    return _unique("-".join(m.groups()) for m in _PLAN.finditer(_lines(text or "", _PLAN_CUE)))


def _lines(text: str, cue: re.Pattern[str]) -> str:
    # Folding 50 KB costs more than matching it: fold only the lines that can hold a match.
    return "\n".join(fold(line) for line in lines_with(text, cue))


def _render(m: re.Match[str], bare: str) -> str:
    if m.group("sg"):
        return f"ITU-T SG{m.group('sg')}"
    if m.group("tc") is None:
        return "ISO/IEC JTC 1" + (f"/SC {m.group('jsc')}" if m.group("jsc") else "")
    body = f"{m.group('body')}/" if m.group("body") else bare
    return f"{body}TC {m.group('tc')}" + (f"/SC {m.group('sc')}" if m.group("sc") else "")


def _unique(values: Iterable[str]) -> list[str]:
    out: list[str] = []
    for v in values:
        if v not in out:
            out.append(v)
    return out
