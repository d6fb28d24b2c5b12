"""Where a notice's comments go: e-mail addresses, postal address, contact person, phones, online form.

Bodies can be 50 KB, so every pattern is compiled once and anchored so that a match can only start
where a run of its characters starts (no rescanning a long run from each of its positions).
"""
from __future__ import annotations

import re
import unicodedata
from typing import Any

from transforms._text import lines_with

# NFKC folds the full-width forms Chinese notices use (＠ ： （ ， ＃) to ASCII.
_LOCAL = r"[A-Za-z0-9._%+\-]"
_EMAIL = re.compile(
    rf"(?<!{_LOCAL})(?P<local>{_LOCAL}{{1,64}}?)\s?(?P<at>@|#|\[at\]|\(at\))\s?"
    r"(?P<domain>[A-Za-z0-9\-]{1,63}(?:\.[A-Za-z0-9\-]{1,63}){0,5}\.[A-Za-z]{2,12})(?![A-Za-z0-9\-])",
    re.IGNORECASE,
)
# "xxx#xx.com（请将#换成@）": a "#" stands for "@" only where the notice says so, or right after a mail label.
_HASH_NOTE = re.compile(r"#[^\n。]{0,10}(?:换成|替换为|改为|换为|replace)[^\n。]{0,4}@", re.IGNORECASE)
_MAIL_LABEL = re.compile(r"(?:[邮郵][箱件]|e-?mail)[^\n。]{0,12}$", re.IGNORECASE)

# The characters every label, address and link below contains (before folding): a line without one is skipped.
_KEEP = re.compile(r"[传傳联聯电電手座址寄邮郵@＠#＃]|(?=[fFtTpPcCmMhHwWrR(\[])"
                   r"(?i:fax|tel|phone|contact|mail|http|www\.|regulations\.gov|\(at\)|\[at\])")
# One clause is what a label's value can run to.
_CLAUSE = re.compile(r"[^\n。;]+")
# Traditional forms too (聯系人, 電話, 郵箱): reposts on big5 gateways; spaces inside labels ("邮    编") too.
_LABEL = re.compile(
    r"(?=[传傳联聯电電手座通寄地邮郵ftpcmbeFTPCMBE])(?:(?P<fax>[传傳]\s*真|\bfax\b)"
    r"|(?P<phone>[联聯][系繫络絡](?:[电電][话話]|方式)|[电電]\s*[话話]|手[机機]|座机|\btel(?:ephone)?\b\.?|\bphone\b)"
    r"|(?P<contact>[联聯][系繫络絡]人|for\s+further\s+information\s+contact|contact\s+person)"
    r"|(?P<addr>(?:[通][讯訊信]|[邮郵]寄|[联聯][系繫络絡]|寄送)地址|寄至|地址|mailing\s+address|mail\s+to|by\s+mail)"
    r"|(?P<zip>[邮郵]\s*政\s*[编編]\s*[码碼]|[邮郵]\s*[编編])|(?P<mail>[电電]子[邮郵][箱件]|[邮郵]\s*箱|e-?mail))",
    re.IGNORECASE,
)
_PHONE = re.compile(
    r"(?<![\d\-])(?:1[3-9]\d{9}|1[3-9]\d-\d{4}-\d{4}|400-?\d{3}-?\d{4}"
    r"|(?:\+\d{1,3}[\s\-]?)?(?:\(\d{2,4}\)\s?|\d{2,4}[\s\-])\d{3,4}[\s\-]?\d{4}(?:[\-转]\d{1,5})?)(?![\d])"
)
_ZIP_LABELLED = re.compile(r"(?:[邮郵]\s*政\s*[编編]\s*[码碼]|[邮郵]\s*[编編])\s*:?\s*(\d{6})(?!\d)")
_ADDRESS_WORD = re.compile(r"[省市区县路街道号楼室]|\b(?:Drive|Street|Avenue|Road|Stop|Box)\b")
_URL = re.compile(
    r"(?<![A-Za-z0-9@./])(?:https?://|www\.)[A-Za-z0-9\-._~:/?#\[\]@!$&'*+,;=%]{3,300}"
    r"|(?<![A-Za-z0-9@./])regulations\.gov(?![A-Za-z0-9])",
    re.IGNORECASE,
)
# Traditional forms too: reposts of mainland notices on big5 gateways keep the labels' characters.
_COMMENT_CUE = re.compile(r"意[见見]|反[馈饋]|[征徵]求|提交|登[录陆錄陸]|留言|comment|submit|feedback|respond",
                          re.IGNORECASE)
_FILE_EXT = re.compile(r"\.(?:pdf|docx?|xlsx?|wps|ofd|zip|rar|7z|jpe?g|png)$", re.IGNORECASE)
_TRIM = " \t:,.;、\"'“”"
# A notice names a handful; a page that lists hundreds is not telling a commenter where to write.
_MAX = 20


def comments_to(text: str) -> dict[str, Any] | None:
    """Return where comments go ({emails, postal_address, contact, phones, form_url}), or None."""
    folded = _relevant_lines(text or "")
    found: dict[str, Any] = {"emails": _emails(folded), "postal_address": None, "contact": None,
                             "phones": [], "form_url": _form_url(folded)}
    contacts: list[str] = []
    for clause in _CLAUSE.finditer(folded):
        _read_clause(clause.group(), found, contacts)
    found["contact"] = "; ".join(contacts) or None
    if found["postal_address"] and (code := _ZIP_LABELLED.search(folded)) and code.group(1) not in found["postal_address"]:
        found["postal_address"] += f", {code.group(1)}"
    return found if any(found.values()) else None


def _relevant_lines(text: str) -> str:
    # Every rule reads within a line, so only lines with a label, an address sign or a link are folded
    # and scanned: a 50 KB body is mostly prose that names nowhere.
    return "\n".join(unicodedata.normalize("NFKC", line) for line in lines_with(text, _KEEP))


def _emails(text: str) -> list[str]:
    hash_ok = bool(_HASH_NOTE.search(text))
    out: list[str] = []
    for m in _EMAIL.finditer(text):
        at = m.group("at")
        if at == "#" and not (hash_ok or _MAIL_LABEL.search(text, max(0, m.start() - 20), m.start())):
            continue
        address = f"{m.group('local').strip('.')}@{m.group('domain')}"
        if address.lower() not in (o.lower() for o in out):
            out.append(address)
        if len(out) >= _MAX:
            break
    return out


def _read_clause(clause: str, found: dict[str, Any], contacts: list[str]) -> None:
    """Attribute each labelled segment of one clause to the field its label names."""
    labels = list(_LABEL.finditer(clause))
    for i, label in enumerate(labels):
        value = clause[label.end(): labels[i + 1].start() if i + 1 < len(labels) else len(clause)]
        kind = label.lastgroup
        if kind in ("phone", "contact"):
            _add(found["phones"], [p.group().strip() for p in _PHONE.finditer(value)])
        if kind == "contact" and (name := _name(value)):
            _add(contacts, [name])
        elif kind == "addr" and found["postal_address"] is None:
            found["postal_address"] = _address(value)


def _name(value: str) -> str | None:
    # "注明联系人及联系方式" names nobody: a contact follows a colon.
    if not re.match(r"\s*:", value):
        return None
    name = _EMAIL.sub("", _PHONE.sub("", value)).strip(_TRIM + " ")
    name = re.split(r",(?=\s*(?:National|U\.S\.|Department|Office|Division))|,\s*(?:telephone|email|phone)", name)[0]
    name = re.sub(r"\s*[,、]\s*|\s{2,}", "、", name).strip(_TRIM)
    return name if 0 < len(name) <= 40 else None


def _address(value: str) -> str | None:
    if not re.match(r"\s*:", value):
        return None  # "寄至秘书处" names a recipient, not an address
    addr = re.split(r",\s*(?:[邮郵]\s*[编編政]|并|请|and\b)", value.lstrip(" :"))[0].strip(_TRIM)
    return addr if 0 < len(addr) <= 120 and _ADDRESS_WORD.search(addr) else None


def _form_url(text: str) -> str | None:
    for m in _URL.finditer(text):
        url = m.group().rstrip(".,;:)]'\"")
        line_start = text.rfind("\n", 0, m.start()) + 1
        if _FILE_EXT.search(url.split("?")[0]) or not _COMMENT_CUE.search(text, max(line_start, m.start() - 80),
                                                                          m.start()):
            continue
        return url if url.lower().startswith("http") else f"https://{'' if url.startswith('www.') else 'www.'}{url}"
    return None


def _add(out: list[str], values: list[str]) -> None:
    for v in values:
        if v and v not in out and len(out) < _MAX:
            out.append(v)
