"""Classify a notice: language, blockchain relevance, kind, stage and level (DESIGN.md vocabularies)."""
from __future__ import annotations

import re
from dataclasses import dataclass
from typing import Any

from transforms._text import fold, names, outside_names
from transforms.lang import detect_lang
from transforms.numbers import extract_standard_numbers
from transforms.relevance import LEXICON, is_blockchain

# ---- kind -------------------------------------------------------------------------------------
# A level word, a standard-setting project, or a 报批 notice makes a Chinese title a standard one.
# 国家标准化(管理委员会), 国家标准委 and 标准体系(建设指南) name an agency and a policy, not a standard.
_STD_ZH = re.compile(
    r"国家标准(?![化体委])|行业标准(?!化)|地方标准|团体标准|国际标准|企业标准|强制性标准|推荐性标准"
    r"|标准化指导性技术文件|标准(?:制修订|制定|修订|研制|项目|计划|立项|草案|报批)|报批公示|(?:制修订|立项)(?:计划|项目)"
    # 新国标 is how the press names a new national standard ("电动自行车新国标9月起实施").
    r"|新国标"
)
# A title whose subject is a standard and whose verb is an event: "重庆区块链标准将于3月1日起正式实施",
# "数字藏品首份标准发布", "金融行业区块链标准来了". 标准化/标准体系 name work and policy, not a standard.
_STD_EVENT = re.compile(
    r"标准(?![化体]|合同)[^，,。；;、\s]{0,10}?(?:发布|出台|获批|立项|征求意见|来了|实施(?!意见|方案|细则|办法|规范|指南))"
    # …and the calendar form, event first: "2017年8月12日实施的标准", "2019年4月10日废止的标准".
    r"|(?:发布|批准|实施|废止|立项)的[^，,。；;、\s]{0,10}?标准(?![化体])"
)
# Explainers and Q&A pages ("…是什么", "…的基本常识") announce nothing, whatever they name.
# Compilations and reviews ("…大盘点", "…监管政策梳理", "…以及报告汇总") collect documents rather than issue one.
_EXPLAINER = re.compile(r"是什么|什么是|有哪些|基本常识|的概念|怎么|如何|盘点|(?:梳理|汇总|综述)\W*$")
# A title that ends as a regulation is one, even when it governs standards ("国家标准管理办法").
_POLICY_END = re.compile(r"(?:管理办法|暂行办法|实施办法|(?<!技术)规定|条例|实施细则)(?:\([^()]*\))?\W*$")
# Notices that are neither standards nor policy although they are 通知/公告/公示: jobs, surveys, awards,
# training courses, statistics returns; and news of an event that has just happened (…项目启动, …会召开).
_OTHER_ZH = re.compile(r"招聘|问卷|满意度|评选|推荐结果|培训班|统计调查|(?:启动|召开|举行|开幕|闭幕|成立)\W*$")
_STD_EN = re.compile(
    r"\bstandards?\b(?!\s+(?:Chartered|General Ledger|committees?|bod(?:y|ies)|organi[sz]ations?|institutes?"
    r"|administration|agency|association|board|council|development organi[sz]ation))"
    r"|\bRecommendation\b|\btechnical specification\b|\btechnical report\b|\bWorking Draft\b|\bInternet-Draft\b"
    r"|\bdraft-[a-z0-9]+-[a-z0-9-]+\b|(?-i:\bFIPS\b|\bFPWD\b)|\b(?:national|technical|industry) norms?\b"
    # A standards body releasing its own reports or specifications ("ETSI ... releases first Reports").
    r"|(?-i:\b(?:ISO|IEC|ITU(?:-T)?|IEEE|ETSI|W3C|IETF|CEN|CENELEC|NIST)\b).{0,60}\b(?:reports?|specifications?)\b",
    re.IGNORECASE,
)
# A review of how standards are implemented (FATF's "Targeted Update on Implementation of the FATF Standards") is
# about policy, not a standard.
_STD_REVIEW = re.compile(
    r"\b(?:implementation|review|update|compliance|application)\s+(?:of|on|with)\s+(?:the\s+)?(?:[\w-]+\s+){0,3}"
    r"standards?\b", re.IGNORECASE,
)
# Titles announcing a meeting are other even when they name an Act ("Sunshine Act Meetings").
_EVENT_EN = re.compile(r"\b(?:meetings?|hearings?|roundtables?|webinars?|workshops?)\b", re.IGNORECASE)
# "Standardisation system" is the English of 标准体系: a policy, as 标准体系建设指南 is.
_STD_SYSTEM_EN = re.compile(r"\bstandardi[sz]ation system\b|\bstandards? system\b", re.IGNORECASE)
# A title that is a file name ("…管理办法.docx", "…要求.docxVIP" on document sites) ends in its extension.
_FILE_EXT = re.compile(r"\.(?:pdf|docx?|wps|ofd|xlsx?|zip|rar|txt)(?:VIP)?\s*$", re.IGNORECASE)
_SENTENCE = re.compile(r"(?<=[.!?])\s+|[。！？]")
# EU Level-2 acts: Regulatory / Implementing Technical Standards, capitals only ("its" is a word).
_STD_EU = re.compile(r"\b(?:RTS|ITS)\b")
_POLICY_ZH = re.compile(
    r"(?:实施|指导|若干|工作)意见|管理办法|暂行办法|实施办法|管理规定|暂行规定|条例|细则|指引|备案|政策|规划"
    r"|行动计划|实施方案|工作方案|工作要点|标准化?体系建设指南|法律|决定|监管规则"
    # A national technical committee's own affairs (换届, 筹建, 秘书处调整) are administration, not a standard.
    r"|关于(?:筹建)?全国[^《》]{2,40}?标准化技术委员会|(?:筹建|组建|换届)[^《》，,]{0,20}?标准化(?:技术委员会|工作组)"
)
_POLICY_WEAK = re.compile(
    r"通知|公告|通告|意见|办法|方案|措施|试点|申报|风险提示|提醒|警示|通函|倡议|起(?:正式)?(?:实施|施行)|公开征求|咨询|(?:监管|管理)制度"
    r"|\bguidance\b|\bguidelines?\b|\brules?\b|\brulemaking\b|\bregulations?\b|\bregulatory\b|\bconsult"
    r"|\bpublic comment|\brequest for (?:comment|information)|\bstatement\b|\bcircular\b|\bdirective\b"
    r"|\bframework\b|\bpolicy\b|\bact\b|\blaw\b|\bsupervisory\b|\bsanctions?\b|\bwarning\b|\badvisor(?:y|ies)\b"
    # A regulator deciding on a filing, or proposing, withdrawing or funding, acts as policy maker.
    r"|\brejects?\b|(?-i:\b[A-Z]{2,6}\b) blocks\b|\bturns? down\b|\bproposals?\b|\bproposed\b|\bwithdraws?\b"
    r"|\brescinds?\b"
    r"|\bfunding availability\b|\bfunding opportunit|\bmanual\b|\bbulletin\b",
    re.IGNORECASE,
)
# A Federal Register abstract says what a bare title ("Crypto-Asset Safekeeping by National Banks") does not.
_RULEMAKING = re.compile(
    r"\bpropos(?:es|ing) to (?:amend|adopt|revise|establish|issue|rescind)\b|\bproposed rule(?:making)?\b"
    r"|\bfinal rule\b|\brulemaking\b", re.IGNORECASE,
)
# The last word of a 《name》 says what the document is.
_HEAD_POLICY = re.compile(
    r"(?:规定|(?<!方)办法|条例|(?<![方])法|意见|指引|通知|方案|规划|政策|措施|细则|决定|标准化?体系建设指南|备案指南|行动计划|要点)$"
)
_HEAD_STD = re.compile(
    r"(?:规范|要求|指南|术语|架构|规则|方法|标准|导则|规程|框架|协议|指标|模型|评估|测试|接口|格式|词汇|分类|编码)$"
)

# ---- stage (first rule to match wins; plan and draft outrank 发布 in "发布…计划/征求意见稿") -----
_STAGES: tuple[tuple[str, re.Pattern[str]], ...] = (
    ("withdrawn", re.compile(r"废止|作废|撤销|废除|\bwithdr[ae]wn?\b|\bwithdraws?\b|\bwithdrawal\b"
                             r"|\bretire[sd]?\b|\bsuperseded\b", re.IGNORECASE)),
    ("plan", re.compile(r"立项|计划|项目申报|申报.{0,10}项目|征集.{0,8}(?:项目|提案)|标准(?:研制|起草)(?!单位|组|说明)|\bnew work item|(?-i:\bNWIP\b|\bPAR\b)"
                        r"|\bproject (?:approved|approval|proposal)|\bpreliminary work item|\bapproved for development"
                        # English news of a standard still to be made: "China to Establish ... Standards".
                        r"|\bworks? on\b|\bworking on\b|\blooking to (?:create|develop|establish)"
                        r"|\bto (?:establish|create|develop|formulate|set up)\b|\bwill (?:create|establish|develop|formulate)\b",
                        re.IGNORECASE)),
    ("draft", re.compile(r"征求[^。]{0,30}?意见|意见征集|征集意见|送审稿|报批稿|报批|审查会|审定会|草案|\bdraft\b|(?-i:\bF?DIS\b)"
                         r"|\bcomments? (?:invited|due|requested|sought)|\bpublic comment|\bconsult"
                         r"|\bcandidate (?:recommendation|standard)s?\b|\bpublic review\b|\bballot\b|\bfor comment"
                         r"|(?-i:\bF?pr(?:EN|CEN)\b|\bFPWD\b)|\bunder (?:study|development)\b|\bin preparation\b",
                         re.IGNORECASE)),
    ("published", re.compile(r"发布|批准|获批|公布|出台|\bpublish(?:ed|es)?\b|\bpublication\b|\breleas(?:ed|es)\b"
                             r"|\bapprov(?:ed|es)\b|\badopt(?:ed|s)\b|\bissu(?:ed|es|ance)\b|\bfinali[sz](?:ed|es)\b"
                             r"|\b(?:now|is) available\b", re.IGNORECASE)),
    ("effective", re.compile(r"实施(?!意见|方案|细则|办法|规范|指南)|施行|生效|\beffective (?:from|on|date|today)"
                             r"|\bbecomes? effective\b|\btakes? effect\b|\b(?:comes?|enters?|entered|came) into "
                             r"(?:force|effect)|\bin force\b|\bappl(?:y|ies|icable) from\b", re.IGNORECASE)),
)
# NIST keeps withdrawn drafts online under their draft title; the page says the draft "has been withdrawn".
_WITHDRAWN_NOTE = re.compile(r"\b(?:has been|was|is|were) withdrawn\b|\bwithdrawn draft\b|\bwithdrawal date\b",
                             re.IGNORECASE)
# ISO-style stage prefixes inside a number: "ISO/IEC DIS 24643" is a draft, "AWI" a new project.
_NUMBER_STAGE = (
    ("draft", re.compile(r"\b(?:DIS|FDIS|CD|WD|DTS|DTR|PRF)\b")),
    ("plan", re.compile(r"\b(?:AWI|NP|NWIP|PWI)\b")),
)

# ---- level ------------------------------------------------------------------------------------
_LEVEL_ZH = re.compile(
    r"(国际标准)|(国家标准(?![化体委])|强制性标准|推荐性标准|新国标)|(行业(?:[^，,。！!\s标]{0,6})标准(?![化体]))|(地方标准)|(团体标准)"
)
# A province or city named at the start of the title or before 市/省 (lexicon.yaml: local_places).
_PLACES = "|".join(map(re.escape, LEXICON["local_places"]))
_LOCAL_PLACE = re.compile(rf"^\W*(?:{_PLACES})|(?:{_PLACES})[市省]")
_LEVEL_ORDER = ("international", "national", "industry", "local", "group")
_INTL_TEXT = re.compile(
    r"\b(?:ISO|IEC|ITU|IEEE|ETSI|W3C|CEN|CENELEC|IETF|EU|European|MiCA|ESMA|EBA|EIOPA|ESAs|Basel|BCBS|IOSCO|FSB"
    r"|FATF|BIS|CPMI)\b"
    # Maturity names of W3C and IETF documents, whose titles often omit the body's name.
    r"|\b(?:Candidate|Proposed) Recommendation\b|\bWorking Draft\b|\bFPWD\b|\bInternet-Draft\b|\bdraft-[a-z0-9]+-"
)


@dataclass(frozen=True)
class Classification:
    """What a notice is: the `regwatch classify` fields."""

    lang: str
    blockchain: bool
    kind: str
    stage: str | None
    level: str | None
    standard_numbers: tuple[str, ...]

    def as_dict(self) -> dict[str, Any]:
        """Return the JSON-ready form printed by `regwatch classify`."""
        return {"lang": self.lang, "blockchain": self.blockchain, "kind": self.kind, "stage": self.stage,
                "level": self.level, "standard_numbers": list(self.standard_numbers)}


def classify(title: str, summary: str = "", jurisdiction: str | None = None,
             default_level: str | None = None, kind: str | None = None) -> Classification:
    """Classify one notice from its title, summary and (optionally) what its publisher is.

    ``default_level`` is the publisher's own fact (a catalogue hint): the level of a standard it
    lists when the notice names none, as a group-standards platform lists group standards.
    ``kind`` is likewise the publisher's stated kind (a work programme lists only standards), so that
    a standard's stage and level are read even when its title does not say "standard".
    """
    title_f, summary_f = _FILE_EXT.sub("", fold(title or "")), fold(summary or "")
    title_numbers = extract_standard_numbers(title_f)
    summary_numbers = extract_standard_numbers(summary_f)
    numbers = tuple(dict.fromkeys(title_numbers + summary_numbers))
    kind = kind or _kind(title_f, bool(title_numbers), bool(numbers), summary_f)
    standard = kind == "standard"
    return Classification(
        lang=detect_lang(title_f) if title_f.strip() else detect_lang(summary_f),
        blockchain=is_blockchain(title_f, summary_f),
        kind=kind,
        stage=_stage(title_f, summary_f, numbers) if standard else None,
        level=_level((title_f, summary_f), (title_numbers, summary_numbers), jurisdiction, default_level)
        if standard else None,
        standard_numbers=numbers,
    )


def _kind(title: str, has_title_number: bool, has_number: bool, summary: str = "") -> str:
    action = outside_names(title)
    head = _doc_head(title)
    if _EXPLAINER.search(action):
        return "other"
    if _POLICY_END.search(action) and not has_title_number:
        return "policy"
    if has_title_number or _STD_ZH.search(action):
        return "standard"
    if head and _HEAD_POLICY.search(head):
        return "policy"  # 《国家标准管理办法》 names a level word but is a regulation
    if _STD_ZH.search(title):
        return "standard"
    if _POLICY_ZH.search(action):
        return "policy"
    if _STD_SYSTEM_EN.search(action) or _STD_REVIEW.search(action):
        return "policy"
    if (head and _HEAD_STD.search(head)) or _STD_EVENT.search(action) or _STD_EN.search(action) \
            or _STD_EU.search(action):
        return "standard"
    if has_number and _stage_of(action) in ("published", "plan", "effective"):
        return "standard"  # "关于发布…的公告" whose summary lists the numbers
    if _OTHER_ZH.search(action) or _EVENT_EN.search(action):
        return "other"
    if _POLICY_WEAK.search(action) or _RULEMAKING.search(summary):
        return "policy"
    if _headline_of_standards(summary):
        return "standard"
    return "other"


def _headline_of_standards(summary: str) -> bool:
    # A headline with no cue of its own ("Getting big on blockchain") is told by its summary's first
    # sentence: a standard named with what happened to it ("… has published its first standards").
    first = _SENTENCE.split(summary, maxsplit=1)[0]
    return bool((_STD_EN.search(first) or _STD_ZH.search(first)) and _stage_of(first))


def _doc_head(title: str) -> str:
    found = names(title)
    # Notes and versions ("（征求意见稿）", "V2.0") follow the head word that says what the document is.
    return re.sub(r"\s*[Vv]\d+(?:\.\d+)*$", "", re.sub(r"\([^()]*\)", "", found[0]).strip()) if found else ""


def _stage(title: str, summary: str, numbers: tuple[str, ...]) -> str | None:
    # The title speaks for the notice; a summary often also mentions later stages (自…起实施).
    found = _stage_of(outside_names(title))
    if found in (None, "draft") and _WITHDRAWN_NOTE.search(summary):
        return "withdrawn"
    if found:
        return found
    for stage, pattern in _NUMBER_STAGE:
        if any(pattern.search(n) for n in numbers):
            return stage
    return _stage_of(outside_names(summary))


def _stage_of(text: str) -> str | None:
    return next((stage for stage, pattern in _STAGES if pattern.search(text)), None)


def _level(texts: tuple[str, str], numbers: tuple[list[str], list[str]], jurisdiction: str | None,
           default_level: str | None) -> str | None:
    # Title before summary; within each, the level word before the number family.
    for text, own in zip(texts, numbers):
        m = _LEVEL_ZH.search(text)
        if m and m.lastindex:
            return _LEVEL_ORDER[m.lastindex - 1]
        if own:
            return _number_level(own[0])
    # The title names the body, or the summary opens with it ("ISO's new expert committee … has published").
    if _INTL_TEXT.search(texts[0]) or _INTL_TEXT.match(texts[1].lstrip()):
        return "international"
    if not default_level and _LOCAL_PLACE.search(texts[0]):
        return "local"
    return default_level or _jurisdiction_level(jurisdiction)


def _jurisdiction_level(jurisdiction: str | None) -> str:
    if jurisdiction == "INTL":
        return "international"
    if jurisdiction and "-" in jurisdiction:  # CN-GD-SZ: a municipal or provincial publisher
        return "local"
    # A standard of unknown origin is most often a national one.
    return "national"


def _number_level(number: str) -> str | None:
    if number.startswith(("ISO", "IEC", "ITU", "IEEE", "ETSI", "RFC", "W3C", "EN ", "CEN", "CLC", "CWA")):
        return "international"
    if number.startswith(("GB", "NIST", "FIPS", "FASB")):
        return "national"  # NIST, FIPS and FASB are US national bodies
    if number.startswith("DB"):
        return "local"
    if number.startswith("T/"):
        return "group"
    if number.startswith("Q/"):
        return None  # enterprise standards have no level in our vocabulary
    return "industry"
