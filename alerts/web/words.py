"""The subscriber pages' words in Chinese and English, and a subscription's filters said in words.

Pure: no I/O. Publisher names come in as a mapping (the catalogue's `name`s) so tests need no file.
"""
from __future__ import annotations

from typing import Mapping

from alerts.subscriptions import Filters, Subscription

LANGS = ("zh", "en")

STAGES = {"en": {"plan": "new project", "draft": "draft for comment", "published": "published",
                 "effective": "in force", "withdrawn": "withdrawn"},
          "zh": {"plan": "立项", "draft": "征求意见", "published": "发布", "effective": "实施",
                 "withdrawn": "废止"}}
LEVELS = {"en": {"international": "international", "national": "national", "industry": "industry",
                 "local": "local", "group": "association"},
          "zh": {"international": "国际", "national": "国家", "industry": "行业", "local": "地方",
                 "group": "团体"}}
KINDS = {"en": {"standard": "standards", "policy": "policies", "other": "other notices"},
         "zh": {"standard": "标准", "policy": "政策", "other": "其他通知"}}
# Facet labels, then the words around them: "Blockchain standards · stage: draft for comment".
LABELS = {"en": {"stages": "stage", "levels": "level", "sources": "publishers",
                 "jurisdictions": "jurisdiction", "standard_numbers": "standard", "text": "words",
                 "blockchain": "Blockchain", "all": "All", "notices": "notices", "and": " and ",
                 "colon": ": ", "sep": ", "},
          "zh": {"stages": "阶段", "levels": "级别", "sources": "发布机构", "jurisdictions": "地区",
                 "standard_numbers": "标准号", "text": "关键词", "blockchain": "区块链", "all": "全部",
                 "notices": "通知", "and": "、", "colon": "：", "sep": "、"}}

UI = {
    "en": {"title": "Your regwatch subscription", "what": "What you receive", "to": "Sent to",
           "how": "How", "instant": "each notice as it comes (instant)",
           "daily": "one daily digest at {hour:02d}:00 ({tz})", "state": "State",
           "active": "active", "paused": "paused: nothing is sent until you resume",
           "to_daily": "Switch to a daily digest at", "to_instant": "Switch to instant alerts",
           "change_hour": "Change the digest hour to", "pause": "Pause", "resume": "Resume",
           "unsubscribe": "Unsubscribe…", "done_instant": "Saved: you now get each notice as it comes.",
           "done_daily": "Saved: you now get one daily digest.", "done_pause": "Paused.",
           "done_resume": "Resumed.", "unsub_title": "Unsubscribe from regwatch",
           "unsub_ask": "Stop these alerts? This deletes the subscription.",
           "unsub_button": "Unsubscribe", "unsub_done": "You are unsubscribed: no more alerts go to {to}.",
           "manage": "Manage this subscription instead"},
    "zh": {"title": "您的 regwatch 订阅", "what": "订阅内容", "to": "发送至", "how": "发送方式",
           "instant": "每条通知即时发送", "daily": "每日摘要，{hour:02d}:00（{tz}）", "state": "状态",
           "active": "有效", "paused": "已暂停：恢复前不发送任何提醒", "to_daily": "改为每日摘要，时间",
           "to_instant": "改为即时提醒", "change_hour": "修改摘要时间为", "pause": "暂停",
           "resume": "恢复", "unsubscribe": "退订…", "done_instant": "已保存：每条通知即时发送。",
           "done_daily": "已保存：每日发送一次摘要。", "done_pause": "已暂停。", "done_resume": "已恢复。",
           "unsub_title": "退订 regwatch", "unsub_ask": "停止这些提醒？退订将删除此订阅。",
           "unsub_button": "退订", "unsub_done": "已退订：不再向 {to} 发送提醒。",
           "manage": "改为管理此订阅"},
}

# Refusals: said in both languages, as the page cannot trust the link that would tell which.
ERRORS = {
    "bad_link": ("链接无效（输入有误、被截断或已失效）。", "This link is not valid (mistyped, cut short, or no longer issued)."),
    "gone": ("此订阅已不存在（已退订或已删除）。", "This subscription no longer exists (unsubscribed or deleted)."),
    "bad_form": ("无法处理此请求，未做任何更改。", "This request could not be understood; nothing was changed."),
    "no_key": ("此服务器未配置订阅链接。", "Subscription links are not configured on this server."),
}


def pick_lang(asked: str | None, sub: Subscription) -> str:
    """The page's language: ?lang= when it is one we have, else the subscription's (zh for both)."""
    if asked in LANGS:
        return str(asked)
    return "en" if sub.lang == "en" else "zh"


def describe(filters: Filters, lang: str, names: Mapping[str, str]) -> str:
    """A subscription's filters in words, e.g. "Blockchain standards · stage: draft for comment"."""
    words = LABELS[lang]
    kinds = words["and"].join(KINDS[lang].get(k, k) for k in filters.kinds) or words["notices"]
    scope = words["blockchain"] if filters.blockchain_only else words["all"]
    parts = [f"{scope}{'' if lang == 'zh' else ' '}{kinds}"]
    facets: list[tuple[str, tuple[str, ...], Mapping[str, str]]] = [
        ("stages", filters.stages, STAGES[lang]), ("levels", filters.levels, LEVELS[lang]),
        ("sources", filters.sources, names), ("jurisdictions", filters.jurisdictions, {}),
        ("standard_numbers", filters.standard_numbers, {})]
    for label, values, vocabulary in facets:
        if values:
            said = words["sep"].join(vocabulary.get(v, v) for v in values)
            parts.append(f"{words[label]}{words['colon']}{said}")
    if filters.text:
        parts.append(f"{words['text']}{words['colon']}“{filters.text}”")
    return " · ".join(parts)
