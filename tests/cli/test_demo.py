"""`loanwatch demo`: the planted faults are found, acknowledged and resolved as the story says."""

import json
from pathlib import Path

import pytest
from sqlalchemy import select

from bot.cli import main
from bot.db import make_engine
from bot.models import OutboxMessage
from bot.sessions import session_factory


def test_the_demo_finds_every_planted_fault_and_resolves_the_missing_bill(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    """Each planted fault opens its alert; what the platforms and the treasurer say clears four."""
    folder = tmp_path / "demo"
    assert main(["demo", "--keep", str(folder)]) == 0
    out = capsys.readouterr().out
    assert main(["--database-url", f"sqlite:///{folder / 'demo.db'}", "export", "alerts"]) == 0
    alerts = {a["check"]: a for a in json.loads(capsys.readouterr().out)}

    planted = {
        "bill_missing",
        "bill_amount_mismatch",
        "limit_dropped",
        "limit_frozen",
        "data_stale",
        "draw_unconfirmed",
    }
    assert set(alerts) == planted
    assert alerts["bill_missing"]["state"] == "resolved"
    assert alerts["bill_missing"]["acknowledged_by"] == "demo:treasurer"
    # Weilidai corrects its bill (and so is heard from again); the customs duty arrived.
    cleared = {"bill_missing", "bill_amount_mismatch", "data_stale", "draw_unconfirmed"}
    assert all(alerts[c]["state"] == "resolved" for c in cleared)
    assert all(alerts[c]["state"] == "open" for c in planted - cleared)
    assert "corrected ¥7,416.67 → ¥7,366.67" in out
    assert "draw #5 on jiebei-main confirmed" in out
    assert "Payoff of jiebei-main on 2026-12-01" in out
    assert alerts["limit_frozen"]["severity"] == "critical"
    assert "acknowledged by demo:treasurer" in out
    assert "resolved: the condition has cleared" in out


def test_the_demo_tells_the_ticket_story(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    """T-1 with Jiebei: the Chinese text and records to paste, sent, noted resolved, closed."""
    folder = tmp_path / "demo"
    assert main(["demo", "--keep", str(folder)]) == 0
    out = capsys.readouterr().out
    assert "T-1 opened; this platform is contacted by hand" in out
    assert "贵平台账单缺失：我司于" in out
    assert "记录类型,日期,编号,金额" in out
    assert "T-1 marked as sent; first follow-up due 2026-12-03 09:00 CST" in out
    assert "T-1 closed" in out
    assert main(["--database-url", f"sqlite:///{folder / 'demo.db'}", "ticket", "show", "T-1"]) == 0
    show = capsys.readouterr().out
    assert "alert_resolved" in show
    assert "Resolution: Jiebei issued the bill" in show


def test_the_demo_mails_the_bank_through_its_own_smtp_server_and_follows_up(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    """T-2 with ICBC goes by email to the SMTP server the demo starts on 127.0.0.1: its mailbox
    shows the subject, the Chinese text and the CSV; two business days later the follow-up
    answers the first mail."""
    folder = tmp_path / "demo"
    assert main(["demo", "--keep", str(folder)]) == 0
    out = capsys.readouterr().out
    opened, follow_up = out.split("=== 2026-12-03 09:00")
    assert "T-2 opened; sent by email to corporate-rm@icbc.example with the usage records" in out
    first = opened[opened.index("📬 the mailbox of corporate-rm@icbc.example") :]
    assert "now holds 1 mail;" in first
    assert "  Subject: [T-2] icbc-term: 授信额度被冻结" in first
    assert "  | 我司就以下问题提交工单（我方编号T-2）：授信额度被冻结" in first
    assert "  | 我司自2026年11月28日起发现额度被冻结" in first
    # The attachment the mailbox got has as many rows as loanwatch put in the outbox for it.
    database = f"sqlite:///{folder / 'demo.db'}"
    engine = make_engine(database)
    with session_factory(engine)() as session:
        [sent, reminder] = session.scalars(
            select(OutboxMessage.payload)
            .where(OutboxMessage.kind == "ticket.platform")
            .order_by(OutboxMessage.id)
        ).all()
        states = session.scalars(
            select(OutboxMessage.state).where(OutboxMessage.kind == "ticket.platform")
        ).all()
    engine.dispose()
    assert states == ["sent", "sent"]  # through SMTP, not printed and forgotten
    rows = len(sent["rows"])
    assert rows > 0
    assert f"  Attached: T-2-usage-records.csv ({rows} rows of usage records" in first

    second = follow_up[follow_up.index("📬") :]
    assert "now holds 2 mails;" in second
    assert "  Subject: [T-2] icbc-term: 授信额度被冻结" in second
    assert "  In-Reply-To: the first mail's Message-ID" in second
    assert "这是我方第1次跟进" in second
    assert "Attached:" not in second.split("=== Alerts at the end")[0]
    assert (reminder["event"], reminder["thread_event_id"]) == ("reminder", sent["event_id"])
    assert main(["--database-url", database, "ticket", "show", "T-2"]) == 0
    show = capsys.readouterr().out
    assert "  State: waiting" in show
    assert "reminder" in show
