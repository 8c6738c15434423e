"""The summary and records a platform reads: the discrepancy in its language, in our figures."""

import re
from datetime import UTC, datetime

from tests.tickets.conftest import ok


def _alert_ids(loanwatch, *checks: str) -> list[int]:
    """The ids of the alerts of these checks, in the order `alert list` shows them."""
    rows = ok(loanwatch("alert list")).splitlines()
    return [int(row.split()[0]) for row in rows if any(check in row for check in checks)]


def _alert_id(loanwatch, check: str) -> int:
    """The id of the one alert of `check`."""
    [alert] = _alert_ids(loanwatch, check)
    return alert


def _letter_line(loanwatch, facility: str, subject: str, check: str, starts: str) -> str:
    """After a check, Alice opens a ticket on `facility` about its one `check` alert: the line
    of the letter that starts with `starts`."""
    ok(loanwatch("check"))
    alert = _alert_id(loanwatch, check)
    out = ok(loanwatch(f"ticket open {facility} --subject {subject} --alert {alert}"))
    [line] = [row for row in out.splitlines() if row.startswith(starts)]
    return line


def _jb_billed(loanwatch, clock, bill: str, *more_draws: str) -> None:
    """jb at Jiebei: 20,000 over 12 months (and `more_draws`) drawn 2026-10-08; on 2026-11-10
    the platform shows the 11-08 bill of `bill`, unpaid."""
    ok(loanwatch("facility add jb --platform jiebei --limit 200,000"))
    clock.now = datetime(2026, 10, 8, 2, 0, tzinfo=UTC)
    for draw in ("20,000 --months 12", *more_draws):
        ok(loanwatch(f"draw add jb {draw} --on 2026-10-08"))
    clock.now = datetime(2026, 11, 10, 2, 0, tzinfo=UTC)
    ok(loanwatch(f"bill add jb 2026-11-08 {bill}"))


def _wrong_bill(loanwatch, clock) -> int:
    """Jiebei's December bill shows ¥1,700.00 where the ledger expects ¥1,666.66."""
    ok(loanwatch("facility add jiebei-main --platform jiebei --limit 200,000"))
    clock.now = datetime(2026, 11, 8, 2, 0, tzinfo=UTC)
    ok(loanwatch("draw add jiebei-main 20,000 --months 12 --on 2026-11-08"))
    clock.now = datetime(2026, 12, 1, 2, 0, tzinfo=UTC)
    ok(loanwatch("bill add jiebei-main 2026-12-08 1,700"))
    ok(loanwatch("check"))
    return _alert_id(loanwatch, "bill_amount_mismatch")


def test_a_wrong_amount_is_stated_in_chinese_business_prose(loanwatch, clock) -> None:
    """What the platform shows, what the ledger expects, the difference, since when."""
    alert = _wrong_bill(loanwatch, clock)
    out = ok(loanwatch(f"ticket open jiebei-main --subject 账单金额有误 --alert {alert}"))
    assert (
        "贵平台账单金额有误：2026年12月8日的账单显示应还¥1,700.00，而按我司台账，"
        "2026年12月8日应还¥1,666.66，相差¥33.34。此差异自2026年12月1日起存在" in out
    )
    assert "平台账单,2026-12-08,#1,1700.00,,,未还," in out


def test_an_english_contact_reads_english_records(loanwatch, clock) -> None:
    """--language en: the summary and the CSV's header and record names are English."""
    alert = _wrong_bill(loanwatch, clock)
    ok(loanwatch("platform contact jiebei --via manual --language en"))
    out = ok(loanwatch(f"ticket open jiebei-main --subject 'wrong bill' --alert {alert}"))
    assert (
        "Wrong bill amount: your bill due 2026-12-08 shows ¥1,700.00, while our ledger expects "
        "¥1,666.66 due 2026-12-08, a difference of ¥33.34" in out
    )
    assert "Record,Date,Reference,Amount,Principal,Interest,Status,Detail" in out
    assert "draw,2026-11-08,#1,20000.00,,,equal-installment,12 months" in out


def test_days_narrows_the_records_to_the_period(loanwatch, clock) -> None:
    """--days 10 on 2026-12-01 leaves out the draw of 2026-11-08 when no alert names it."""
    _wrong_bill(loanwatch, clock)
    out = ok(loanwatch("ticket open jiebei-main --subject 核对 --days 10"))
    assert "借款,2026-11-08" not in out
    assert "随附2026年11月21日至2026年12月1日的使用记录" in out


def test_a_frozen_line_is_stated_in_chinese_with_the_platforms_figures(loanwatch, clock) -> None:
    """A limit_frozen alert: the zh letter says what the platform showed and when, in Chinese,
    without pasting the alert's English summary into it."""
    ok(loanwatch("facility add jiebei-main --platform jiebei --limit 200,000"))
    clock.now = datetime(2026, 11, 30, 0, 0, tzinfo=UTC)  # 08:00 in Shanghai
    ok(loanwatch("limit add jiebei-main 0 --status frozen"))
    summary = _letter_line(loanwatch, "jiebei-main", "额度被冻结", "limit_frozen", "我司自")
    assert summary == (
        "我司自2026年11月30日起发现额度被冻结或显示为零：贵平台2026年11月30日08:00显示我司"
        "授信额度为¥0.00，状态为冻结。详见随附使用记录，烦请贵平台核查并予以说明。"
    )
    assert not re.search(r"[A-Za-z]{3,}", summary), summary


def test_a_platform_that_never_showed_data_is_told_since_when(loanwatch, clock) -> None:
    """data_stale with nothing ever seen: the letter names the day loanwatch began expecting
    data, never a sentence with an empty date."""
    clock.now = datetime(2026, 12, 1, 2, 0, tzinfo=UTC)
    ok(loanwatch("facility add wld --platform weilidai --limit 100,000"))
    clock.now = datetime(2026, 12, 9, 0, 59, tzinfo=UTC)
    summary = _letter_line(loanwatch, "wld", "数据未更新", "data_stale", "我司自")
    assert summary == (
        "我司自2026年12月9日起发现平台数据长时间未更新：自我司2026年12月1日开始记录以来，"
        "贵平台从未显示过任何账单、额度或放款数据。详见随附使用记录，烦请贵平台核查并予以说明。"
    )


def test_an_overdue_bill_is_stated_with_both_sides_figures(loanwatch, clock) -> None:
    """bill_overdue: what the platform shows unpaid and what the ledger has due that day, with
    figures; not "we found the bill overdue" (which reads as our admission)."""
    _jb_billed(loanwatch, clock, "1,700")
    summary = _letter_line(loanwatch, "jb", "账单逾期", "bill_overdue", "贵平台显示")
    assert summary == (
        "贵平台显示2026年11月8日到期的账单¥1,700.00尚未结清，已逾期2天。按我司台账，"
        "该期应于2026年11月8日还款¥1,666.66（借款编号#1）。"
        "烦请贵平台核实该账单的还款状态及金额，如有误请予以更正。"
    )


def test_two_draws_due_the_same_day_are_one_missing_bill_with_its_total(loanwatch, clock) -> None:
    """The platform issues one bill per due date: the letter asks for that bill, its total and
    the draws it covers, not for two bills."""
    _jb_billed(loanwatch, clock, "3,333.33", "10,000 --months 6")
    ok(loanwatch("check"))
    clock.now = datetime(2026, 12, 7, 2, 0, tzinfo=UTC)
    ok(loanwatch("check"))
    alerts = " ".join(f"--alert {alert}" for alert in _alert_ids(loanwatch, "bill_missing"))
    out = ok(loanwatch(f"ticket open jb --subject 十二月账单缺失 {alerts}"))
    missing = [row for row in out.splitlines() if row.startswith("贵平台账单缺失")]
    assert missing == [
        "贵平台账单缺失：按合同，贵平台应出具2026年12月8日到期的账单一期，应还合计¥3,333.32，"
        "涵盖以下2笔借款：2026年10月8日借款¥20,000.00（借款编号#1）应还¥1,666.66；"
        "2026年10月8日借款¥10,000.00（借款编号#2）应还¥1,666.66。该账单自2026年11月29日起"
        "即应可见，截至2026年12月7日贵平台仍未显示，烦请核查并补出账单。"
    ]


def test_the_csv_words_an_alert_in_chinese_with_its_figures(loanwatch, clock) -> None:
    """The 说明 of an alert row in a zh CSV: the check in Chinese and its figures, no English."""
    _jb_billed(loanwatch, clock, "1,700")
    ok(loanwatch("check"))
    alert = _alert_id(loanwatch, "bill_overdue")
    out = ok(loanwatch(f"ticket open jb --subject 账单逾期 --alert {alert}"))
    [row] = [row for row in out.splitlines() if row.startswith("预警,")]
    assert row == (
        f"预警,2026-11-10,#{alert},,,,未解决,"
        '"账单已逾期：账单到期日2026年11月8日，账单金额¥1,700.00，已逾期2天"'
    )


def test_an_english_contact_reads_the_overdue_bill_and_the_one_bill_per_day(
    loanwatch, clock
) -> None:
    """The English letter states the same: the platform's unpaid bill against the ledger's due
    amount, and one missing bill per due date with its total."""
    _jb_billed(loanwatch, clock, "3,333.32", "10,000 --months 6")
    ok(loanwatch("platform contact jiebei --via manual --language en"))
    clock.now = datetime(2026, 12, 7, 2, 0, tzinfo=UTC)
    ok(loanwatch("check"))
    ids = _alert_ids(loanwatch, "bill_missing", "bill_overdue")
    alerts = " ".join(f"--alert {alert}" for alert in ids)
    out = ok(loanwatch(f"ticket open jb --subject 'bills' {alerts}"))
    assert (
        "Your platform shows the bill of ¥3,333.32 due 2026-11-08 as unpaid, 29 days overdue. "
        "Our ledger has ¥3,333.32 due that day (draws #1, #2). Please check the bill's "
        "repayment status and amount." in out
    )
    assert (
        "Missing bill: under the contract a bill of ¥3,333.32 in all falls due on 2026-12-08, "
        "covering 2 draws (#1 of ¥20,000.00 drawn 2026-10-08: ¥1,666.66; #2 of ¥10,000.00 "
        "drawn 2026-10-08: ¥1,666.66)." in out
    )
