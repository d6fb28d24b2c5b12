"""fragment_text skips parsing plain text: it must read exactly what parsing would read."""
from __future__ import annotations

import random

import pytest

from connectors import html

CASES = ["关于区块链 跨链互操作技术要求（征求意见稿）的公告", "  a\n\n  b\t c\u3000d\xa0 ", "", "   ",
         "\ufeff标题", "a\r\nb", "x &amp; y", "<p>a</p><p>b</p>", "a<br>b", "<script>x</script>t",
         "1 < 2", "a\x0cb", "a\x85b", "a\u2028b", "tab\tend\n", "😀 GB/T 43572-2023"]


@pytest.mark.parametrize("fragment", CASES)
def test_plain_and_marked_up_fragments_read_as_parsed(fragment: str) -> None:
    assert html.fragment_text(fragment) == html.text_of(html.parse(fragment))


def test_random_text_reads_as_parsed() -> None:
    rng = random.Random(16)
    alphabet = list("ab 中文，。\n\t\u3000\xa0\x0b\x0c\u2028\u200b\ufeff>\"'=/;-1【】《》😀é\r&<") + ["  ", "\n\n"]
    for _ in range(3000):
        fragment = "".join(rng.choice(alphabet) for _ in range(rng.randint(0, 16)))
        assert html.fragment_text(fragment) == html.text_of(html.parse(fragment)), repr(fragment)
