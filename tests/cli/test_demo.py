"""`loanwatch demo`: the planted faults are found, acknowledged and resolved as the story says,
and the platforms' numbers come in as issue 14 has them (the API, reading requests, a bank's
export through a saved mapping)."""

import io
import json
import re
import threading
from contextlib import redirect_stdout
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pytest

from bot.cli import main


@dataclass(frozen=True)
class Demo:
    """One run of the demo: what it printed, and its database to look into afterwards."""

    out: str
    folder: Path

    def loanwatch(self, *args: str) -> str:
        """A `loanwatch` command on the demo's database; its output."""
        printed = io.StringIO()
        with redirect_stdout(printed):
            status = main(["--database-url", f"sqlite:///{self.folder / 'demo.db'}", *args])
        assert status == 0, printed.getvalue()
        return printed.getvalue()

    def export(self, kind: str) -> list[dict[str, Any]]:
        rows: list[dict[str, Any]] = json.loads(self.loanwatch("export", kind))
        return rows


@pytest.fixture(scope="module")
def demo(tmp_path_factory: pytest.TempPathFactory) -> Demo:
    """The demo, played once for the module (it takes seconds): every test reads the same run."""
    folder = tmp_path_factory.mktemp("demo") / "demo"
    printed = io.StringIO()
    with redirect_stdout(printed):
        status = main(["demo", "--keep", str(folder)])
    assert status == 0, printed.getvalue()
    return Demo(printed.getvalue(), folder)


def test_the_demo_finds_every_planted_fault_and_resolves_the_missing_bill(demo: Demo) -> None:
    """Each planted fault opens its alert; what the platforms and the treasurer say clears four."""
    out = demo.out
    alerts = {a["check"]: a for a in demo.export("alerts")}

    planted = {
        "bill_missing",
        "bill_amount_mismatch",
        "limit_dropped",
        "limit_frozen",
        "data_stale",
        "draw_unconfirmed",
    }
    # Later in the story Weilidai's next bill falls due soon and its app cannot be seen.
    assert set(alerts) == planted | {"bill_due_soon", "platform_unavailable"}
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


def test_the_demo_tells_the_ticket_story(demo: Demo) -> None:
    """T-1 with Jiebei: the Chinese text and records to paste, sent, noted resolved, closed."""
    out = demo.out
    assert "T-1 opened; this platform is contacted by hand" in out
    assert "贵平台账单缺失：我司于" in out
    assert "记录类型,日期,编号,金额" in out
    assert "T-1 marked as sent; first follow-up due 2026-12-03 09:00 CST" in out
    assert "T-1 closed" in out
    show = demo.loanwatch("ticket", "show", "T-1")
    assert "alert_resolved" in show
    assert "Resolution: Jiebei issued the bill" in show


def test_the_robot_posts_over_http_a_refused_batch_writes_nothing_and_a_retry_is_a_no_op(
    demo: Demo,
) -> None:
    """The token is printed once (the list shows only its start); the batch with a JSON number
    gets 422 naming item #1, nothing written; the fixed batch is recorded; the retry under the
    same key is answered again and writes nothing; the server is stopped afterwards."""
    out = demo.out
    tokens = re.findall(r"lwt_[A-Za-z0-9_-]{43}", out)
    assert len(tokens) == 1
    assert "it is shown only this once" in out
    assert f"rpa   observations:write  {tokens[0][:12]}…" in out
    assert "← 422: nothing was recorded: fix every observation listed" in out
    assert '#1 available: an amount is a string such as "4498.77"' in out
    assert "limit readings in the ledger: 5 → 5" in out
    assert "← 200: #0 jiebei-main new, #1 weilidai-ops new, #2 icbc-term new" in out
    assert "limit readings in the ledger: 5 → 8" in out
    assert "← 200 (Idempotent-Replayed: true): #0 jiebei-main new" in out
    assert "limit readings in the ledger: 8 → 8" in out
    by_api = [
        (r["facility"], r["observed_at"]) for r in demo.export("limits") if r["source"] == "api"
    ]
    assert by_api.count(("weilidai-ops", "2026-12-01T03:30:00+00:00")) == 1
    assert len(by_api) == 5  # three at 11:30, Jiebei and ICBC again on 12-03
    assert not [t.name for t in threading.enumerate() if t.name in ("demo-api", "api-loop")]


def test_owners_are_asked_same_as_last_records_a_reading_and_cant_see_it_thrice_alerts(
    demo: Demo,
) -> None:
    """The direct message as the console prints it; Same as last records Jiebei's reading at the
    tap; three Can't see it in a row open platform_unavailable on weilidai-ops."""
    out = demo.out
    assert "jiebei-main: U0DANA is asked for a reading workdays 10:00 (Asia/Shanghai)" in out
    assert "── reading.request → #U0DANA" in out
    assert (
        "借呗 jiebei-main: what does the platform show now? Last reading ¥200,000 limit, "
        "¥116,689.32 available (yesterday 11:30)\n  [Same as last]  [Changed…]  [Can't see it]"
    ) in out
    assert (
        "U0DANA taps [Same as last]; the message now says: Recorded for jiebei-main at "
        "2026-12-02 10:04 CST: ¥200,000 limit, ¥116,689.32 available (the same as last)."
    ) in out
    tapped = [(r["facility"], r["observed_at"]) for r in demo.export("limits")
              if r["source"] == "slack"]  # fmt: skip
    assert tapped[0] == ("jiebei-main", "2026-12-02T02:04:00+00:00")  # 10:04 in Shanghai
    assert len(tapped) == 3
    listed = demo.loanwatch("requests", "list", "--state", "answered")
    assert listed.count("unavailable") == 3
    [unavailable] = [a for a in demo.export("alerts") if a["check"] == "platform_unavailable"]
    assert unavailable["state"] == "open"
    assert unavailable["facility"] == "weilidai-ops"
    assert "could not be seen 3 times in a row" in out


def test_the_bank_export_through_a_saved_mapping_adds_the_repayment_once(demo: Demo) -> None:
    """The ICBC export shipped with the package: one repayment the first time, nothing new the
    second; the other rows are skipped by the mapping's filter."""
    out = demo.out
    assert "mapping icbc saved: repayments from paid_on=交易日期" in out
    assert "repayments: 1 added, 0 already present\n  skipped: 5 (not matching 摘要=还款 5)" in out
    assert "repayments: 0 added, 1 already present" in out
    repaid = [
        (r["paid_on"], r["amount"])
        for r in demo.export("repayments")
        if r["facility"] == "weilidai-ops" and r["reference"]
    ]
    assert repaid == [("2026-12-04", "7366.67")]
