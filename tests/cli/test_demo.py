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


def without_ids(out: str) -> str:
    """The output with the console's outbox ids left out (they count every row written)."""
    return re.sub(r" \(outbox \d+\) ──", " ──", out)


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
    alerts: dict[str, dict[str, Any]] = {}
    for alert in demo.export("alerts"):
        alerts.setdefault(alert["check"], alert)  # each check's first alert: the planted one

    planted = {
        "bill_missing",
        "bill_amount_mismatch",
        "limit_dropped",
        "limit_frozen",
        "data_stale",
        "draw_unconfirmed",
    }
    # Later in the story bills fall due soon, Weilidai's app cannot be seen, the bank's export
    # repays a bill Weilidai still shows unpaid, and December asks for 2027's holidays.
    later = {"bill_due_soon", "platform_unavailable", "repayment_unseen", "holidays_unknown"}
    assert set(alerts) == planted | later
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
    assert len(tapped) == 4  # and Dana's Same as last on 12-07
    listed = demo.loanwatch("requests", "list", "--state", "answered")
    assert listed.count("unavailable") == 4  # and Wei's, on the reminder of 12-07
    [unavailable] = [a for a in demo.export("alerts") if a["check"] == "platform_unavailable"]
    assert unavailable["state"] == "open"
    assert unavailable["facility"] == "weilidai-ops"
    assert "could not be seen 3 times in a row" in out


def test_the_bank_export_through_a_saved_mapping_adds_the_repayment_once(demo: Demo) -> None:
    """The ICBC export shipped with the package: one repayment the first time, nothing new the
    second; the other rows are skipped by the mapping's filter."""
    out = demo.out
    assert "mapping icbc saved: repayments from paid_on=交易日期" in out
    assert (
        "repayments: 1 added, 0 already present\n  skipped: 5 (not matching 摘要=主动还款 5)" in out
    )
    assert "repayments: 0 added, 1 already present" in out
    repaid = [
        (r["paid_on"], r["amount"])
        for r in demo.export("repayments")
        if r["facility"] == "weilidai-ops" and r["reference"]
    ]
    assert repaid == [("2026-12-04", "7366.67")]


def test_the_owner_is_asked_about_a_bill_and_yes_records_it_so_bill_missing_stays_quiet(
    demo: Demo,
) -> None:
    """ICBC's window for 12-21 opens 14 days ahead: Dana, icbc-term's owner, gets the question on
    the console with its buttons; Yes, as expected records the bill at what the ledger expects,
    at the tap; past the grace, no bill_missing opens for it."""
    out = without_ids(demo.out)
    assert (
        "── bill.request → #U0DANA ──\n"
        "ICBC icbc-term: has the bill for 2026-12-21 appeared? The ledger expects ¥1,800.00\n"
        "  [Yes, as expected]  [Different amount…]  [Not yet]"
    ) in out
    assert (
        "U0DANA taps [Yes, as expected]; the message now says: Recorded for icbc-term at "
        "2026-12-07 09:05 CST: the bill due 2026-12-21, ¥1,800.00 (as expected)."
    ) in out
    bills = [(b["due_date"], b["amount"]) for b in demo.export("bills")
             if b["facility"] == "icbc-term" and b["due_date"] == "2026-12-21"]  # fmt: skip
    assert bills == [("2026-12-21", "1800.00")]
    assert "bill_missing on icbc-term, its grace for 12-21 over since midnight: none" in out
    assert not [a for a in demo.export("alerts")
                if a["check"] == "bill_missing" and a["facility"] == "icbc-term"]  # fmt: skip


def test_drawers_are_asked_a_day_after_a_slack_draw_yes_confirms_and_no_opens_the_alert(
    demo: Demo,
) -> None:
    """Two draws logged from Slack on 12-07; on 12-08 each drawer is asked; Dana's Yes confirms
    hers, Wei's No opens draw_unconfirmed at once, a day before weilidai-ops's 48 h window."""
    out = without_ids(demo.out)
    assert (
        "── draw.request → #U0DANA ──\n"
        "Did the ¥30,000 arrive? (微粒贷 weilidai-ops, drawn 2026-12-07 09:10)\n  [Yes]  [No]"
    ) in out
    assert "Did the ¥60,000 arrive? (微粒贷 weilidai-ops, drawn 2026-12-07 09:20)" in out
    assert (
        "U0DANA taps [Yes]; the message now says: Recorded at 2026-12-08 09:35 CST: draw #6 of "
        "¥30,000.00 on weilidai-ops arrived; it is confirmed."
    ) in out
    assert (
        "U0WEI taps [No]; the message now says: Recorded at 2026-12-08 09:35 CST: draw #7 of "
        "¥60,000.00 on weilidai-ops has not arrived; a draw_unconfirmed alert is open for it."
    ) in out
    assert "Money arrived?: No, said U0WEI at 2026-12-08 09:35 (Asia/Shanghai)" in out
    unconfirmed = [a for a in demo.export("alerts") if a["check"] == "draw_unconfirmed"]
    [said_no] = [a for a in unconfirmed if a["facility"] == "weilidai-ops"]
    assert said_no["state"] == "open"
    assert "the drawer said the money has not arrived" in said_no["summary"]
    answered = demo.loanwatch("requests", "list", "--state", "answered")
    assert "draw #6" in answered
    assert "draw #7" in answered


def test_an_unanswered_request_gets_its_one_reminder_two_business_hours_later(demo: Demo) -> None:
    """Wei's 10:00 reading request, unanswered, is sent again at 12:00 led by the reminder's line;
    his answer on it counts (and is the fourth Can't see it in a row)."""
    out = without_ids(demo.out)
    assert (
        "── reading.request → #U0WEI ──\n"
        "Reminder: this was asked at 10:00 (Monday 2026-12-07) and is not answered yet.\n"
        "微粒贷 weilidai-ops: what does the platform show now?"
    ) in out
    assert out.count("Reminder: this was asked at") == 1  # Dana answered hers: no reminder
    assert (
        "U0WEI taps [Can't see it] on the reminder; both messages now say: Recorded for "
        "weilidai-ops at 2026-12-07 12:05 CST: the platform could not be seen."
    ) in out


def test_the_admin_backs_the_database_up_and_sees_the_alerts_prometheus_would(demo: Demo) -> None:
    """The last chapter: a whole backup beside the database, and the alerts gauge as many open
    alerts of each severity as the database holds."""
    assert "backed up (" in demo.out
    assert "integrity checked" in demo.out
    listed = main_on(demo.folder / "backup.db", "alert", "list", "--state", "open")
    assert listed == demo.loanwatch("alert", "list", "--state", "open")
    opened = [a for a in demo.export("alerts") if a["state"] == "open"]
    for severity in ("warning", "critical"):
        count = sum(a["severity"] == severity for a in opened)
        assert f'loanwatch_alerts{{severity="{severity}",state="open"}} {count}.0' in demo.out


def main_on(database: Path, *args: str) -> str:
    printed = io.StringIO()
    with redirect_stdout(printed):
        status = main(["--database-url", f"sqlite:///{database}", *args])
    assert status == 0, printed.getvalue()
    return printed.getvalue()
