"""The words of the `/regwatch` slash command, parsed without I/O (table-tested).

    /regwatch subscribe stage=draft level=national source=miit-yjzj number="GB/T 42752-2023"
              text=智能合约 lang=en daily
    /regwatch list · /regwatch unsubscribe sub-… · /regwatch preview [filters | sub-…] · /regwatch help

A filter word is ``name=value``; the list-valued names (stage, level, source, number, kind,
jurisdiction) take several values separated by commas or by repeating the word. ``daily`` (or
``daily=H``, the local hour of the digest) and ``reminders`` are flags. Values with spaces are
quoted, as in a shell; Slack's clients may turn straight quotes into curly ones, so those count too.
"""
from __future__ import annotations

import shlex
from dataclasses import dataclass, field

from alerts.subscriptions import Filters

ACTIONS = ("subscribe", "list", "unsubscribe", "preview", "help")
# filter word -> the Filters field it fills; these take comma-separated or repeated values.
LISTS = {"stage": "stages", "level": "levels", "source": "sources", "number": "standard_numbers",
         "kind": "kinds", "jurisdiction": "jurisdictions"}
SINGLE = ("text", "lang", "daily", "reminders")
LANGS = ("zh", "en", "both")
_QUOTES = str.maketrans({"“": '"', "”": '"', "„": '"', "‘": "'", "’": "'", "\u3000": " ", "\xa0": " "})


class SlashError(ValueError):
    """The command's words make no sense; the message is the one line shown in the channel."""


@dataclass(frozen=True)
class Command:
    """One parsed `/regwatch` command; `filters` etc. only matter to subscribe and preview."""

    action: str
    filters: Filters = field(default_factory=Filters)
    lang: str = "both"
    mode: str = "instant"
    digest_hour: int = 9
    reminders: bool = False
    subscription_id: str | None = None


def parse(text: str) -> Command:
    """Parse the text after `/regwatch`; raise SlashError (one line) on any word it does not know."""
    words = _split(text)
    if not words:
        return Command("help")
    action, rest = words[0].lower(), words[1:]
    if action not in ACTIONS:
        raise SlashError(f"unknown command {action!r}: try `/regwatch help`")
    if action in ("list", "help"):
        if rest:
            raise SlashError(f"`{action}` takes no words, not {rest[0]!r}")
        return Command(action)
    if action == "unsubscribe" or (action == "preview" and len(rest) == 1 and rest[0].startswith("sub-")):
        if len(rest) != 1 or not rest[0].startswith("sub-"):
            raise SlashError("give one subscription id: `/regwatch unsubscribe sub-…` (see `/regwatch list`)")
        return Command(action, subscription_id=rest[0])
    return _filters(action, rest)


def _split(text: str) -> list[str]:
    try:
        return shlex.split(text.translate(_QUOTES))
    except ValueError:  # an unclosed quote
        raise SlashError("a quote is not closed: put values with spaces in \"double quotes\"") from None


def _filters(action: str, words: list[str]) -> Command:
    lists: dict[str, list[str]] = {name: [] for name in LISTS.values()}
    single: dict[str, str] = {}
    for word in words:
        name, sep, value = word.partition("=")
        name = name.lower().removeprefix("--")
        if name in LISTS and sep and value.strip(" ,"):
            lists[LISTS[name]] += [v.strip() for v in value.split(",") if v.strip()]
        elif name in SINGLE and (sep or name in ("daily", "reminders")):
            if name in single:
                raise SlashError(f"`{name}` is given twice")
            if name == "reminders" and value:
                raise SlashError(f"`reminders` takes no value, not {value!r}")
            single[name] = value.strip()
        else:
            raise SlashError(_unknown(word))
    got = {k: tuple(dict.fromkeys(v)) for k, v in lists.items()}  # in order, without repeats
    filters = Filters(sources=got["sources"], jurisdictions=got["jurisdictions"],
                      kinds=got["kinds"] or ("standard",), stages=got["stages"], levels=got["levels"],
                      standard_numbers=got["standard_numbers"], text=single.get("text", ""))
    return Command(action, filters, _lang(single.get("lang")), "daily" if "daily" in single else "instant",
                   _hour(single.get("daily") or ""), "reminders" in single)


def _unknown(word: str) -> str:
    known = ", ".join([f"{n}=" for n in (*LISTS, "text", "lang")] + ["daily", "reminders"])
    return f"unknown filter word {word!r} (known: {known}); nothing saved"


def _lang(value: str | None) -> str:
    if value is None:
        return "both"
    if value not in LANGS:
        raise SlashError(f"lang must be one of {', '.join(LANGS)}, not {value!r}")
    return value


def _hour(value: str) -> int:
    if not value:
        return 9
    if not value.isdigit() or not 0 <= int(value) <= 23:
        raise SlashError(f"daily=H takes the local hour of the digest, 0-23, not {value!r}")
    return int(value)


HELP = """*`/regwatch` subscribes this channel to new blockchain standards and drafts.*
• `/regwatch subscribe [filters]`: alerts here, instantly (or `daily`, `daily=8`: one digest a day)
• `/regwatch list`: this channel's subscriptions
• `/regwatch unsubscribe sub-…`: end one of them
• `/regwatch preview [filters]` or `/regwatch preview sub-…`: what it would have matched in the last 30 days
Filters: `stage=draft,published` `level=national` `source=miit-yjzj` `number="GB/T 42752-2023"` \
`kind=standard` `jurisdiction=CN` `text=智能合约` `lang=zh|en|both` `reminders` (before comment deadlines).
Example: `/regwatch subscribe stage=draft level=national text=区块链 lang=en daily`"""
