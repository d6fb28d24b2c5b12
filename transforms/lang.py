"""Language of a notice title: script first, then langdetect for Latin text that needs it."""
from __future__ import annotations

import re

from langdetect import DetectorFactory, LangDetectException, detect

# langdetect samples randomly; a fixed seed makes the same title give the same answer every run.
DetectorFactory.seed = 0

_HAN = re.compile(r"[\u3400-\u4dbf\u4e00-\u9fff\uf900-\ufaff]")
_KANA = re.compile(r"[\u3040-\u30ff]")
_HANGUL = re.compile(r"[\uac00-\ud7af]")
_LATIN = re.compile(r"[A-Za-z\u00c0-\u024f]")
_WORD = re.compile(r"[A-Za-z]+")
_NON_ASCII_LETTER = re.compile(r"[\u00c0-\u024f]")

_EN_WORDS = frozenset(
    "a an and are as at be by for from has in into is it its new not of on or over the this to "
    "under was will with comments draft standard standards guidance rules report published "
    "issues consults seeks final proposed technology technologies".split()
)
# Function words of the other Latin-script languages our international sources write in.
_OTHER_WORDS = frozenset(
    "de la le les des du et un une pour sur aux der die das und für zur zum von mit im den "
    "el los las del y para con por il di per che della het een van voor op och".split()
)


def detect_lang(text: str) -> str:
    """Return a 2-letter language code for `text`, or "und" when it cannot be told."""
    han = len(_HAN.findall(text))
    latin = len(_LATIN.findall(text))
    if _KANA.search(text) and len(_KANA.findall(text)) >= 2:
        return "ja"
    if len(_HANGUL.findall(text)) > max(han, 1):
        return "ko"
    # A Han character carries about a word; an English word is about four letters.
    if han and han * 4 >= latin:
        return "zh"
    if not latin:
        return "und"
    return _latin_lang(text)


def _latin_lang(text: str) -> str:
    # langdetect is unreliable on short titles such as "Blockchain Technology Overview".
    if not _NON_ASCII_LETTER.search(text):
        words = [w.lower() for w in _WORD.findall(text)]
        english = sum(w in _EN_WORDS for w in words)
        other = sum(w in _OTHER_WORDS for w in words)
        if english >= other:
            return "en"
    return _langdetect(text)


def _langdetect(text: str) -> str:
    try:
        code: str = detect(text)
    except LangDetectException:
        return "und"
    return code.split("-")[0][:2].lower()
