"""Standard designations (GB/T, JR/T, DB, T/, ISO, IEC, ITU-T, IEEE, NIST, FIPS, ETSI, EN/CEN, RFC, W3C, FASB) in ASCII form."""
from __future__ import annotations

import re
from functools import lru_cache
from typing import Callable, Union

from transforms._text import CACHED_LEN, fold

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
    r"|(?P<bare>SP(?=\s*1?800-)|CSWP))[\s-]*(?P<num>\d{1,4}(?:-\d+[A-Za-z]?)*)"
    r"(?:,?\s*(?:Rev\.?|Revision)\s*(?P<rev>\d+)|r(?P<r>\d+))?(?![0-9A-Za-z])"
)
# "FIPS 203, 204 and 205": one family word may head a list of numbers.
_FIPS = re.compile(r"(?<![A-Za-z])FIPS\s*(?:PUB\s*)?(?P<num>\d{2,3}(?:-\d+)?)(?P<more>(?:\s*(?:,\s*and|,|and|&)\s*\d{3}(?:-\d+)?(?![0-9]))*)(?![0-9])")
_ETSI = re.compile(
    r"ETSI\s+(?P<type>GR|GS|TS|TR|EN|ES|EG|SR)\s+(?:(?P<grp>[A-Z]{2,6})[\s-])?(?P<num>\d{3}(?: \d{3})*(?:-\d+)*)(?![0-9])"
)
_FASB = re.compile(r"(?:FASB\s+)?(?:ASU|Accounting\s+Standards\s+Update)\s*(?:No\.\s*)?(?P<num>" + _YEAR + r"-\d{2})(?![0-9])")

# ---- families beyond DESIGN's examples (issue 14); ISO-like colon before the year, as CEN writes it ----
# IETF: "RFC 7519", "RFC7519", "RFC-7519".
_RFC = re.compile(r"(?<![A-Za-z])RFC[\s-]?(?P<num>\d{1,5})(?![0-9])")
# European standards: EN 17529:2022, prEN/FprEN drafts (the stage is read by classify), CEN/TS, CEN/CLC/TR,
# CWA. "EN ISO 22739" / "EN IEC 62443" are adoptions: the ISO/IEC rule reads those numbers.
_EN = re.compile(
    r"(?<![A-Za-z/])(?<!ETSI )(?:F?pr)?(?P<fam>EN|CWA|(?:CEN|CLC|CEN/CLC)/(?:TS|TR))\s*(?P<num>\d{3,5}(?: \d{3})*(?:-\d+)*)"
    r"(?::(?P<year>" + _YEAR + r"))?(?![0-9A-Za-z])"
)
# W3C has no numbers; its technical reports are named by the shortname in their /TR/ address
# (w3.org/TR/2026/CR-did-1.1-20260305/ -> "W3C did-1.1"), which is how W3C itself cites them.
_W3C = re.compile(
    r"w3\.org/TR/(?:\d{4}/)?(?:(?:REC|CR|CRD|PR|WD|FPWD|NOTE|DNOTE|STMT|SPSD)-)?(?P<short>[a-z][a-z0-9.-]*?)"
    r"(?:-(?:19|20)\d{6})?/"
)
# IEEE project numbers stand alone on IEEE SA pages ("P2418.2 Standard Data Format ...") and IEEE Xplore
# heads its titles with the number and year ("2140.4-2023 - IEEE Standard for ...").
_IEEE_BARE = re.compile(
    r"(?<![A-Za-z0-9./-])P(?P<num>\d{3,4}(?:\.\d+)*[a-z]?)"
    r"(?=\s*(?:-\s*)?(?:IEEE\s+)?(?:Draft\s+)?(?:Standard|Guide|Recommended Practice|Trial[- ]Use)\b)"
)
_IEEE_XPLORE = re.compile(r"(?<![\w.])(?P<num>\d{3,4}(?:\.\d+)*)-(?P<year>" + _YEAR + r")\s*-\s*IEEE\b")
# ITU writes a Recommendation with its edition month: "X.1413 (05/2025)" names ITU-T X.1413 without "ITU-T".
_ITU_EDITION = re.compile(
    r"(?<![A-Za-z0-9.])(?P<series>[A-Z])\.(?P<num>\d{1,4}(?:\.\d+)*)\s*\((?:0[1-9]|1[0-2])/(?:19|20)\d{2}\)"
)


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


def _fips(m: re.Match[str]) -> list[str]:
    more = re.findall(r"\d{3}(?:-\d+)?", m.group("more") or "")
    return [f"FIPS {n}" for n in [m.group("num"), *more]]


def _en(m: re.Match[str]) -> str:
    return f"{m.group('fam')} {m.group('num')}" + (f":{m.group('year')}" if m.group("year") else "")


def _etsi(m: re.Match[str]) -> str:
    grp = f"{m.group('grp')} " if m.group("grp") else ""
    return f"ETSI {m.group('type')} {grp}{m.group('num')}"


_Render = Callable[[re.Match[str]], Union[str, list[str], None]]
_RULES: tuple[tuple[re.Pattern[str], _Render], ...] = (
    (_CN, _cn),
    (_ISO, _iso),
    (_ITU, lambda m: f"ITU-T {m.group('series')}.{m.group('num')}"),
    (_IEEE, lambda m: f"IEEE {m.group('num')}" + (f"-{m.group('year')}" if m.group("year") else "")),
    (_NIST, _nist),
    (_FIPS, _fips),
    (_ETSI, _etsi),
    (_FASB, lambda m: f"FASB ASU {m.group('num')}"),
    (_RFC, lambda m: f"RFC {m.group('num')}"),
    (_EN, _en),
    (_W3C, lambda m: f"W3C {m.group('short')}"),
    (_IEEE_BARE, lambda m: f"IEEE P{m.group('num')}"),
    (_IEEE_XPLORE, lambda m: f"IEEE {m.group('num')}-{m.group('year')}"),
    (_ITU_EDITION, lambda m: f"ITU-T {m.group('series')}.{m.group('num')}"),
)


# File names cannot hold "/", so document sites write "T_CGCC 31-2019" and "GB_T 42752-2023".
_FILE_SLASH = re.compile(r"\b(GB|DB\d{2,6}|Q|T|[A-Z]{2,4})_(?=[A-Z][A-Za-z0-9]{0,15}\s*\d)")
# Catalogue pages drop the slash of a national standard: "GBT 34015.5-2025".
_GB_NO_SLASH = re.compile(r"(?<![A-Za-z])GB([TZ])(?=\s*\d{1,5}(?:\.\d+)*\s*-\s*(?:19|20)\d{2})")


def extract_standard_numbers(text: str) -> list[str]:
    """Return the standard numbers in `text`, normalised, deduplicated, in order of appearance."""
    # A dozen patterns scan each text; a title or summary read twice (classify, lifecycle) or a
    # summary a feed repeats is scanned once. A copy: callers own the list they get.
    if len(text) <= CACHED_LEN:
        return list(_numbers_short(text))
    return _numbers(text)


def _numbers(text: str) -> list[str]:
    folded = fold(text)
    if "_" in folded:
        folded = _FILE_SLASH.sub(r"\1/", folded)
    if "GBT" in folded or "GBZ" in folded:
        folded = _GB_NO_SLASH.sub(r"GB/\1", folded)
    found: list[tuple[int, str]] = []
    for pattern, render in _RULES:
        for m in pattern.finditer(folded):
            rendered = render(m)
            for number in [rendered] if isinstance(rendered, str) else rendered or []:
                found.append((m.start(), number))
    return _dedupe([n for _, n in sorted(found)])


@lru_cache(maxsize=8192)
def _numbers_short(text: str) -> tuple[str, ...]:
    return tuple(_numbers(text))


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
    if base.startswith(("EN ", "CEN/", "CLC/", "CEN/CLC/", "CWA ")):
        return re.sub(r":" + _YEAR + r"$", "", base)
    return base  # NIST, FIPS, ETSI, ITU-T, RFC, W3C, FASB: hyphens there are part of the number


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
