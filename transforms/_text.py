"""Fold the shapes publishers vary on (width, dashes, book-title names) before matching."""
from __future__ import annotations

import re
import unicodedata
from functools import lru_cache

# Traditional characters of the words our cues and lexicon use, folded to Simplified so that Hong Kong
# and Taiwan notices (區塊鏈, 虛擬資產, 監管) match the same rules. Not a general converter.
_TRAD_PAIRS = "區区 塊块 鏈链 賬账 帳帐 記记 約约 數数 資资 產产 虛虚 擬拟 貨货 幣币 穩稳 標标 準准 團团 體体 際际 業业 術术 範范 國国 務务 關关 於于 發发 佈布 實实 廢废 計计 劃划 項项 見见 審审 號号 證证 規规 辦办 條条 監监 諮咨 詢询 徵征 維维 護护 網网 絡络 訊讯 應应 價价 層层 則则 圍围 財财 險险 銀银 會会 總总 結结 態态 頒颁 訂订 稱称 統统 産产 臺台 並并 許许 鍊链 製制 銷销 遠远 離离 錄录 識识 麼么 報报 議议 協协 舉举 啟启 動动 開开 閉闭 導导 補补 強强"
# NFKC already folds full-width letters, digits, slash, colon, space and "－"; these dashes it keeps,
# and these slashes: PDF and Word exports write "JR∕T 0102" with U+2215 or U+2044 for the "/".
_FOLD = str.maketrans({**{"—": "-", "–": "-", "―": "-", "‐": "-", "‑": "-", "−": "-", "～": "~",
                          "∕": "/", "⁄": "/", "⧸": "/"},
                         **{pair[0]: pair[1] for pair in _TRAD_PAIRS.split()}})
_NAME = re.compile(r"《([^《》]*)》")
_PAREN = re.compile(r"[(\[]([^()\[\]]*)[)\]]")


# Normalising one notice folds its title and summary a dozen times (classify, numbers, relevance,
# deadline …), and a feed's items often share a summary: short texts are folded once. Long ones
# (bodies) are not kept, so the cache stays a few MB.
CACHED_LEN = 2000


def fold(text: str) -> str:
    """Return `text` in NFKC with every dash as an ASCII hyphen and common Traditional characters Simplified."""
    return _fold_short(text) if len(text) <= CACHED_LEN else _fold(text)


def _fold(text: str) -> str:
    return unicodedata.normalize("NFKC", text).translate(_FOLD)


_fold_short = lru_cache(maxsize=8192)(_fold)


def names(text: str) -> list[str]:
    """Return the document names written inside 《》, in order."""
    return _NAME.findall(text)


def outside_names(text: str) -> str:
    """Blank document names but keep their bracketed notes, e.g. 《X（征求意见稿）》 -> (征求意见稿)."""
    # A name's own words (智能合约实施规范, 管理规定) must not read as the notice's action or type.
    return _NAME.sub(lambda m: " " + " ".join(f"({p})" for p in _PAREN.findall(m.group(1))) + " ", text)


def lines_with(text: str, cue: re.Pattern[str]) -> list[str]:
    """Return the lines of `text` in which `cue` matches, in order (one regex scan, skipping the rest)."""
    # A 50 KB body is mostly lines that cannot hold what a caller looks for: finding the few that
    # can in one pass beats folding and matching every line.
    out: list[str] = []
    pos = 0
    while (m := cue.search(text, pos)) is not None:
        start = text.rfind("\n", 0, m.start()) + 1
        end = text.find("\n", m.end())
        end = len(text) if end < 0 else end
        out.append(text[start:end])
        pos = end + 1
    return out
