"""Standard designations (GB/T, JR/T, DB, T/, ISO, ITU-T, IEEE, NIST, ETSI, FASB) in ASCII form."""
from __future__ import annotations

import re
from typing import Callable

from transforms._text import fold

_YEAR = r"(?:19|20)\d{2}"
# An unfinished number ("GB/T 45xxx", "GB/T 42752-20××") is a placeholder, not a standard.
_PLACEHOLDER = r"[Xx×*?]"

# Chinese national, industry, local and group standards. Mandatory industry standards carry no
# "/T", so a bare two-letter code counts only from the list below and only with a year.
_CN = re.compile(
    r"(?<![A-Za-z0-9/])"
    r"(?P<fam>GB(?:/[TZ])?|DB\d{2,6}(?:/[TZ])?|T/[A-Z][A-Za-z0-9]{1,15}|Q/[A-Z0-9]{2,15}|[A-Z]{2,4}/[TZ]"
    r"|(?:JR|YD|SJ|GA|GM|HJ|WS|NY|JT|DL|SY|YY|QC|MH|AQ|JB|HG|CJ|LD)(?=\s*\d+\s*-\s*" + _YEAR + r"))"
    r"\s*(?P<num>\d+(?:\.\d+)*)"
    r"(?P<tail>\s*-\s*[0-9Xx×*?]{2,4})?"
    r"(?![0-9A-Za-z×*])"
)
_ISO = re.compile(
    r"(?<![A-Za-z])(?P<fam>(?:ISO|IEC)(?:/(?:IEC|IEEE|ASTM|TS|TR|PAS|DIS|FDIS|DTS|DTR|PRF|CD|WD|AWI|NP|PWI))*)"
    r"(?:\s+(?P<qual>DIS|FDIS|CD|WD|AWI|NP|NWIP|PWI|DTS|DTR|PRF|TS|TR|PAS))?"
    r"\s*(?P<num>\d{3,5}(?:-\d{1,2})*)(?:[:-](?P<year>" + _YEAR + r"))?(?![0-9A-Za-z])"
)
_ITU = re.compile(r"ITU-T\s+(?:Recommendations?\s+|Rec\.\s*)?(?P<series>[A-Z])\.\s?(?P<num>\d+(?:\.\d+)*)")
_IEEE = re.compile(
    r"(?<![A-Za-z])IEEE\s+(?:Std\.?\s+)?(?P<num>P?\d{3,4}(?:\.\d+)*[a-z]?)(?:-(?P<year>" + _YEAR + r"))?(?![0-9])"
)
_NIST = re.compile(
    r"(?<![A-Za-z])(?:NIST\s*(?P<fam>SP|IR|AI|CSWP|Special\s+Publication|Internal\s+Report)|NIST(?P<ir>IR)"
    r"|(?P<bare>SP(?=\s*1?800-)|CSWP))\s*(?P<num>\d{1,4}(?:-\d+[A-Za-z]?)*)"
    r"(?:,?\s*(?:Rev\.?|Revision)\s*(?P<rev>\d+)|r(?P<r>\d+))?(?![0-9A-Za-z])"
)
_FIPS = re.compile(r"(?<![A-Za-z])FIPS\s*(?:PUB\s*)?(?P<num>\d{2,3}(?:-\d+)?)(?![0-9])")
_ETSI = re.compile(
    r"ETSI\s+(?P<type>GR|GS|TS|TR|EN|ES|EG|SR)\s+(?:(?P<grp>[A-Z]{2,6})\s+)?(?P<num>\d{3}(?: \d{3})*(?:-\d+)*)(?![0-9])"
)
_FASB = re.compile(r"(?:FASB\s+)?(?:ASU|Accounting\s+Standards\s+Update)\s*(?:No\.\s*)?(?P<num>" + _YEAR + r"-\d{2})(?![0-9])")


def _cn(m: re.Match[str]) -> str | None:
    tail = re.sub(r"[\s-]", "", m.group("tail") or "")
    if re.search(_PLACEHOLDER, tail):
        return None
    year = f"-{tail}" if len(tail) in (2, 4) else ""
    return f"{m.group('fam')} {m.group('num')}{year}"


def _iso(m: re.Match[str]) -> str:
    qual = f" {m.group('qual')}" if m.group("qual") else ""
    year = f":{m.group('year')}" if m.group("year") else ""
    return f"{m.group('fam')}{qual} {m.group('num')}{year}"


def _nist(m: re.Match[str]) -> str:
    raw = m.group("fam") or m.group("ir") or m.group("bare")
    fam = "IR" if raw.startswith(("IR", "Internal")) else "SP" if raw.startswith(("SP", "Special")) else raw
    rev = m.group("rev") or m.group("r")
    return f"NIST {fam} {m.group('num')}" + (f" Rev. {rev}" if rev else "")


def _etsi(m: re.Match[str]) -> str:
    grp = f"{m.group('grp')} " if m.group("grp") else ""
    return f"ETSI {m.group('type')} {grp}{m.group('num')}"


_RULES: tuple[tuple[re.Pattern[str], Callable[[re.Match[str]], str | None]], ...] = (
    (_CN, _cn),
    (_ISO, _iso),
    (_ITU, lambda m: f"ITU-T {m.group('series')}.{m.group('num')}"),
    (_IEEE, lambda m: f"IEEE {m.group('num')}" + (f"-{m.group('year')}" if m.group("year") else "")),
    (_NIST, _nist),
    (_FIPS, lambda m: f"FIPS {m.group('num')}"),
    (_ETSI, _etsi),
    (_FASB, lambda m: f"FASB ASU {m.group('num')}"),
)


def extract_standard_numbers(text: str) -> list[str]:
    """Return the standard numbers in `text`, normalised, deduplicated, in order of appearance."""
    folded = fold(text)
    found: list[tuple[int, str]] = []
    for pattern, render in _RULES:
        for m in pattern.finditer(folded):
            number = render(m)
            if number:
                found.append((m.start(), number))
    return _dedupe([n for _, n in sorted(found)])


def standard_base(number: str) -> str:
    """Return the edition-free identity of a number: "GB/T 42752-2023" -> "GB/T 42752"."""
    base = re.sub(r"\s+Rev\.\s*\d+$", "", number)
    if base.startswith(("ISO", "IEC", "IEEE")):
        base = re.sub(r"[:-]" + _YEAR + r"$", "", base)
        # The stage sits after a space or a slash: "ISO DIS 22739", "ISO/AWI 7603", "ISO/DTS 23516".
        base = re.sub(r"[/\s](?:DIS|FDIS|CD|WD|AWI|NP|NWIP|PWI|PRF)\s", " ", base)
        return re.sub(r"([/\s])D(TS|TR)\s", r"\1\2 ", base).replace("IEEE P", "IEEE ")
    if _CN.match(base):
        return re.sub(r"-\d{2}(?:\d{2})?$", "", base)
    return base  # NIST, FIPS, ETSI, ITU-T, FASB: hyphens there are part of the number


def _dedupe(numbers: list[str]) -> list[str]:
    # "JR/T 0184" beside "JR/T 0184-2020" is one standard: keep the fuller form, first position.
    out: list[str] = []
    for n in numbers:
        base = standard_base(n)
        if n in out or any(standard_base(o) == n for o in out):
            continue
        if base != n and base in out:
            out[out.index(base)] = n
        else:
            out.append(n)
    return out
