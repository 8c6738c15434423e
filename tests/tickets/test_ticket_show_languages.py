"""`loanwatch ticket show` in the reader's language (LOANWATCH_LANGUAGE): the timeline's kinds
are said in the words `/loan ticket show` uses (bot.tickets.words.kind_words), and the alerts'
states in Chinese punctuation."""

import pytest

from bot.i18n import PSEUDO, ZH
from tests.support.pseudo import unmarked
from tests.tickets.conftest import ok


@pytest.fixture
def closed_ticket(loanwatch, missing_bill) -> int:
    """T-1 about the missing bill: opened, sent by hand, its alert resolved, closed."""
    ok(loanwatch(f"ticket open jiebei-main --subject 账单缺失 --alert {missing_bill}"))
    ok(loanwatch("ticket sent T-1"))
    ok(loanwatch(f"alert resolve {missing_bill} --reason 账单已出"))
    ok(loanwatch("ticket close T-1 --resolution 平台已补发账单"))
    return missing_bill


def test_the_timeline_in_chinese(loanwatch, closed_ticket, monkeypatch) -> None:
    monkeypatch.setenv("LOANWATCH_LANGUAGE", ZH)

    show = ok(loanwatch("ticket show T-1"))

    timeline = show[show.index("时间线：") :]
    for said in ("已提交", "已发送", "告警已解决", "已关闭"):
        assert said in timeline, said
    for code in ("opened", " sent ", "alert_resolved", "closed"):
        assert code not in show, code
    assert f"告警：{closed_ticket}（已解决）" in show
    assert "alice" in show  # who did it: data
    assert "平台已补发账单" in show
    # What loanwatch wrote in the timeline when the alert was resolved, said again in Chinese.
    assert f"告警 {closed_ticket} 已解决：账单已出；如平台已处理好，请关闭 T-1" in show
    # loanwatch wrote that entry: named so, not the audit's `system`, with the Chinese colon.
    assert f"loanwatch：告警 {closed_ticket} 已解决" in show
    assert "system" not in show


def test_the_timeline_in_english_keeps_its_codes(loanwatch, closed_ticket) -> None:
    show = ok(loanwatch("ticket show T-1"))

    for kind in ("opened", "sent", "alert_resolved", "closed"):
        assert f" {kind} " in show, kind
    assert f"Alerts: {closed_ticket} (resolved)" in show
    assert (
        f"alert {closed_ticket} resolved: 账单已出; close T-1 if the platform has fixed it" in show
    )


def test_pseudo_every_word_of_ticket_show_goes_through_the_catalogs(
    loanwatch, closed_ticket, monkeypatch
) -> None:
    monkeypatch.setenv("LOANWATCH_LANGUAGE", PSEUDO)

    show = ok(loanwatch("ticket show T-1"))

    # Data: the facility, the platform's name, who did it (a person, or loanwatch).
    allowed = {"jiebei-main", "Jiebei", "alice", "cli"}
    assert unmarked(show.splitlines(), allowed=allowed) == []
