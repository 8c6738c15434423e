"""`loanwatch demo`: the planted faults are found, acknowledged and resolved as the story says."""

import json
from pathlib import Path

import pytest

from bot.cli import main


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
