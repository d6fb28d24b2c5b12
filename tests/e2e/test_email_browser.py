"""E-mail self-service in a real browser: Debian's chromium, driven by Playwright.

A real alert goes out through the normal dispatch path to a real SMTP sink; the manage link in
the received e-mail is opened in headless Chromium against the app served by uvicorn on
loopback; the subscriber switches to a daily digest, then unsubscribes with the one-click
page's button; the next dispatch sends that address nothing.
"""
from __future__ import annotations

import re
from pathlib import Path

import pytest
from playwright import sync_api as playwright

from alerts import subscriptions as subs
from alerts.dispatch import dispatch
from connectors import store
from tests.connectors.test_store import make_notice
from tests.web_server import WebServer

CHROMIUM = "/usr/bin/chromium"  # Debian's package (infra/prerequisites.sh); never `playwright install`
# CI runs as root (no sandbox there); nothing may phone home or update itself during a test.
ARGS = ["--no-sandbox", "--headless", "--disable-gpu", "--disable-background-networking",
        "--disable-component-update", "--no-first-run"]
KNOWN = ["miit-yjzj"]
FIRST = make_notice("https://www.miit.gov.cn/e1.html", "关于公开征求《区块链 跨链互操作技术要求》国家标准（征求意见稿）意见的通知")
LATER = make_notice("https://www.miit.gov.cn/e2.html", "关于公开征求《区块链 隐私计算技术要求》国家标准（征求意见稿）意见的通知")


@pytest.fixture
def web(es, monkeypatch):
    monkeypatch.setenv("REGWATCH_LINK_KEY", "browser-test-key-0123456789abcdef")
    server = WebServer(es).start()
    monkeypatch.setenv("REGWATCH_PUBLIC_URL", server.url)
    yield server
    server.stop()


@pytest.fixture
def browser_page(tmp_path: Path):
    with playwright.sync_playwright() as driver:
        context = driver.chromium.launch_persistent_context(
            str(tmp_path / "chromium-profile"), executable_path=CHROMIUM, headless=True, args=ARGS,
            locale="zh-CN", viewport={"width": 800, "height": 700})
        context.set_default_timeout(30_000)
        yield context.pages[0] if context.pages else context.new_page()
        context.close()


def received_links(message) -> tuple[str, str]:
    """The manage link in the text part and the one-click link in List-Unsubscribe."""
    text = message.get_body(("plain",)).get_content()
    [manage] = re.findall(r"https?://\S+/m/\S+", text)
    return manage, str(message["List-Unsubscribe"]).strip("<>")


def glyphs_differ(page, chars: str) -> bool:
    """Whether each CJK character renders as its own glyph: with no CJK font installed they all
    come out as the same empty box (.notdef), so their pictures would be identical."""
    page.evaluate("""chars => { for (const [i, c] of [...chars].entries()) {
        const s = document.createElement('span'); s.id = 'glyph' + i; s.textContent = c;
        s.style.cssText = 'font-size:48px;display:inline-block;background:#fff;color:#000';
        document.body.appendChild(s); } }""", chars)
    shots = [page.locator(f"#glyph{i}").screenshot() for i in range(len(chars))]
    page.evaluate("() => document.querySelectorAll('[id^=glyph]').forEach(e => e.remove())")
    return len(set(shots)) == len(chars)


def test_subscriber_switches_to_daily_then_unsubscribes_in_a_browser(es, smtp, web, browser_page,
                                                                      tmp_path: Path) -> None:
    page = browser_page
    mine = subs.make("email", "analyst@example.org", subs.Filters(stages=("draft",)), known_sources=KNOWN)
    colleague = subs.make("email", "colleague@example.org", subs.Filters(), known_sources=KNOWN)
    for sub in (mine, colleague):
        subs.save(es, sub)
    store.upsert_notices(es, [FIRST])
    assert len(dispatch(es, [FIRST.id]).sent) == 2
    [alert] = [m for m in smtp.messages if m["To"] == "analyst@example.org"]
    assert alert["List-Unsubscribe-Post"] == "List-Unsubscribe=One-Click"
    manage, one_click = received_links(alert)
    assert manage.startswith(web.url) and one_click.startswith(f"{web.url}/u/")

    page.goto(manage)
    assert "区块链标准 · 阶段：征求意见" in page.locator("#what").inner_text()
    assert page.locator("#mode").inner_text() == "每条通知即时发送"
    page.select_option("select[name=digest_hour]", "18")
    page.get_by_role("button", name="OK").click()
    page.wait_for_url(re.compile(r"done=daily"))
    assert page.locator("#mode").inner_text() == "每日摘要，18:00（Asia/Shanghai）"
    assert page.get_by_role("status").inner_text() == "已保存：每日发送一次摘要。"
    assert (subs.get(es, mine.id).mode, subs.get(es, mine.id).digest_hour) == ("daily", 18)
    page.screenshot(path=str(tmp_path / "manage.png"), full_page=True)
    assert glyphs_differ(page, "区块链摘要")
    assert not glyphs_differ(page, "区区")  # the comparison does see two identical pictures

    page.get_by_role("link", name="退订…").click()
    page.wait_for_url(re.compile(r"/u/"))
    assert page.url.split("?")[0] == one_click  # the same link as the e-mail's List-Unsubscribe
    assert subs.get(es, mine.id) is not None  # opening the page (a GET) changed nothing
    page.get_by_role("button", name="退订").click()
    assert "已退订：不再向 analyst@example.org 发送提醒。" in page.get_by_role("status").inner_text()
    assert subs.get(es, mine.id) is None

    before = len(smtp.messages)
    store.upsert_notices(es, [LATER])
    assert [s for s, _ in dispatch(es, [LATER.id]).sent] == [colleague.id]
    assert [m["To"] for m in smtp.messages[before:]] == ["colleague@example.org"]
