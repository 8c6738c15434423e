"""Importing a statement shared in Slack (issue 14, "Imports of any statement"): the Import
statement shortcut and its form, and `/loan import` followed by the file, through signed
requests to the real endpoint; the file is described by files.info and served by the fake Web
API's file host, to the bot token only. The files are the real exports in tests/fixtures.

The cast: Alice the treasurer, Bob an operator (through the on-call group), Charlie may only
read. jiebei-main has a draw from before the exports' dates, so their repayments fit.
"""

import http.server
import json
import threading
from collections.abc import Iterator
from datetime import date
from decimal import Decimal
from pathlib import Path
from typing import Any

import pytest
from sqlalchemy import select

from bot.audit import Actor
from bot.ledger.draws import DrawRequest, record_draw
from bot.ledger.mappings import add_mapping
from bot.models import AuditRecord, Facility, Repayment
from bot.slack.import_words import FORM_CALLBACK, SHORTCUT_CALLBACK
from tests.ledger.alipay_export import build_alipay_export
from tests.support.fake_slack import FakeSlack
from tests.support.slack_app import ALICE, BOB, CHARLIE, TEAM_CHANNEL, SlackApp, app_settings

STATEMENTS = Path(__file__).parents[1] / "fixtures" / "statements"
BANKS = STATEMENTS / "banks"
ADMIN = Actor("cli:dana", "cli")


@pytest.fixture
def ledger(sessions, jiebei: Facility, clock) -> Facility:
    """jiebei-main with a draw of 2017-09-01, and the mappings for the ABC and WeChat exports."""
    with sessions.begin() as session:
        facility = session.get(Facility, jiebei.id)
        record_draw(
            session,
            ADMIN,
            facility,
            DrawRequest(amount=Decimal(50000), months=12, drawn_on=date(2017, 9, 1)),
            now=clock(),
        )
        add_mapping(
            session,
            ADMIN,
            "abc",
            kind="repayments",
            columns="paid_on=交易日期,amount=-交易金额,reference=日 志 号,note=交易摘要",
            date_format="%Y%m%d",
            encoding="utf-8",
            skip_rows=0,
            where="交易摘要=正常还款",
            now=clock(),
        )
        add_mapping(
            session,
            ADMIN,
            "wechat",
            kind="repayments",
            columns="paid_on=交易时间,amount=金额(元),reference=交易单号,note=交易对方",
            date_format="%Y-%m-%d %H:%M:%S",
            encoding="utf-8",
            skip_rows=0,
            where="交易类型=信用卡还款",
            now=clock(),
        )
    return jiebei


def repayments(sessions) -> list[tuple[date, Decimal]]:
    with sessions() as session:
        rows = session.scalars(select(Repayment).order_by(Repayment.paid_on))
        return [(r.paid_on, r.amount) for r in rows]


def audited(sessions, action: str) -> list[AuditRecord]:
    with sessions() as session:
        return list(session.scalars(select(AuditRecord).where(AuditRecord.action == action)))


def dm(slack: FakeSlack, app: SlackApp, user: str) -> list[str]:
    """The direct messages `user` got from the app, once the work after the answers is done."""
    app.background.settle()
    return [m.text for m in slack.messages(user)]


def message_with(info: dict[str, Any]) -> dict[str, Any]:
    """A message in #finance carrying the shared file, as Slack shows it to a shortcut."""
    return {
        "type": "message",
        "ts": "1700000100.000100",
        "user": ALICE,
        "text": "the statement",
        "files": [{k: info[k] for k in ("id", "name", "filetype", "size", "url_private")}],
    }


def use_shortcut(app: SlackApp, slack: FakeSlack, info: dict[str, Any], how: str, user=ALICE):
    """The shortcut on the message, then the form submitted for jiebei-main, read `how`."""
    assert app.shortcut(SHORTCUT_CALLBACK, message_with(info), user=user).status == 200
    view = slack.views[-1]
    assert view["callback_id"] == FORM_CALLBACK
    values = {
        "facility": {
            "value": {"type": "static_select", "selected_option": {"value": "jiebei-main"}}
        },
        "how": {"value": {"type": "static_select", "selected_option": {"value": how}}},
    }
    return app.submit(view, values, user=user)


def test_the_shortcut_imports_the_wechat_workbook_and_a_second_time_nothing_new(
    app, ledger, sessions, slack
) -> None:
    """Alice uses Import statement on the message with the WeChat .xlsx, picks jiebei-main and
    her saved mapping: the credit-card repayment is recorded, the report reaches her; the same
    file again records nothing and says so."""
    data = (BANKS / "wechat-records.xlsx").read_bytes()
    info = slack.share_file(
        "F0WECHAT",
        "wechat-records.xlsx",
        data,
        mimetype="application/vnd.openxmlformats-officedocument.spreadsheetml.sheet",
    )
    form = slack.views
    assert use_shortcut(app, slack, info, "mapping:wechat").status == 200
    offered = json.dumps(form[0], ensure_ascii=False)
    for choice in ("jiebei-main", "Alipay export", "Bills CSV", "Limits CSV", "wechat", "abc"):
        assert choice in offered

    [first] = dm(slack, app, ALICE)
    assert repayments(sessions) == [(date(2017, 10, 20), Decimal("548.58"))]
    assert "Imported *wechat-records.xlsx* into *jiebei-main*." in first
    assert "repayments: 1 added, 0 already present" in first

    assert use_shortcut(app, slack, info, "mapping:wechat").status == 200
    second = dm(slack, app, ALICE)[-1]
    assert "nothing new" in second
    assert "repayments: 0 added, 1 already present" in second
    assert len(repayments(sessions)) == 1
    [one, two] = audited(sessions, "import")
    assert one.actor == two.actor == ALICE
    # The bytes went to Slack's file host, with the bot token, and nowhere else.
    assert [token for _, token in slack.downloads] == [slack.token, slack.token]


def test_the_alipay_export_with_the_built_in_format(app, ledger, sessions, slack) -> None:
    """The Alipay export (GB18030) read as Alipay: it has no 信用借还 rows, so nothing is
    recorded, and the report counts what was skipped, as the CLI's does."""
    info = slack.share_file(
        "F0ALIPAY", "alipay.csv", (STATEMENTS / "alipay-records-2023.csv").read_bytes()
    )
    use_shortcut(app, slack, info, "format:alipay", user=BOB)
    [report] = dm(slack, app, BOB)
    assert "format: alipay" in report
    assert "skipped: 10" in report
    assert repayments(sessions) == []


def arm_and_share(app: SlackApp, slack: FakeSlack, text: str, info: dict[str, Any], user=ALICE):
    """`/loan TEXT`, then the file shared in #finance (its file_shared event)."""
    armed = app.command(text, user=user)
    event = {
        "type": "file_shared",
        "channel_id": TEAM_CHANNEL,
        "file_id": info["id"],
        "user_id": user,
        "file": {"id": info["id"]},
        "event_ts": "1700000200.000100",
    }
    return armed, event


def test_loan_import_then_the_file_shared_imports_it_once_despite_retries(
    app, ledger, sessions, slack
) -> None:
    """`/loan import jiebei-main --mapping abc` says to share the file within 10 minutes; the
    ABC export shared next is imported. Slack sending the event again, at once and later,
    imports nothing more; a later file finds nothing armed."""
    info = slack.share_file("F0ABC", "abc-debit.csv", (BANKS / "abc-debit.csv").read_bytes())
    armed, event = arm_and_share(app, slack, "import jiebei-main --mapping abc", info)
    assert armed.status == 200
    assert "within 10 minutes" in armed.text
    assert "*jiebei-main* with mapping *abc*" in armed.text
    assert "until 2026-12-01 10:10" in armed.text

    assert app.deliver_event(event, "Ev0ABC").status == 200
    assert app.deliver_event(event, "Ev0ABC", retry=1).status == 200
    app.background.settle()
    assert app.deliver_event(event, "Ev0ABC", retry=2).status == 200
    # Alice arms another import: a late retry of the first event must not take it.
    app.command("import jiebei-main --mapping abc", user=ALICE)
    assert app.deliver_event(event, "Ev0ABC", retry=3).status == 200

    [report] = dm(slack, app, ALICE)
    assert "repayments: 1 added, 0 already present" in report
    assert "skipped: 4 (not matching 交易摘要=正常还款 4)" in report
    assert repayments(sessions) == [(date(2024, 1, 3), Decimal("12345.89"))]
    assert len(audited(sessions, "import")) == 1

    # The second armed import is still there for a new share of the file.
    assert app.deliver_event(event, "Ev0AGAIN").status == 200
    [_, again] = dm(slack, app, ALICE)
    assert "nothing new" in again


def test_a_file_shared_without_an_armed_import_is_left_alone(app, ledger, sessions, slack):
    info = slack.share_file("F0ABC", "abc-debit.csv", (BANKS / "abc-debit.csv").read_bytes())
    _, event = arm_and_share(app, slack, "help", info)
    assert app.deliver_event(event, "Ev0LONE").status == 200
    assert dm(slack, app, ALICE) == []
    assert slack.downloads == []
    assert repayments(sessions) == []


class Elsewhere:
    """A server that is not Slack's, recording whatever reaches it."""

    def __init__(self) -> None:
        self.requests: list[dict[str, str]] = []
        seen = self.requests

        class Handler(http.server.BaseHTTPRequestHandler):
            def do_GET(self) -> None:
                seen.append(dict(self.headers))
                self.send_response(200)
                self.send_header("Content-Length", "2")
                self.end_headers()
                self.wfile.write(b"ok")

            def log_message(self, format: str, *args: Any) -> None:
                pass

        self.server = http.server.ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.thread = threading.Thread(target=self.server.serve_forever, daemon=True)

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self.server.server_address[1]}/files-pri/T0-F0X/download/x.csv"


@pytest.fixture
def elsewhere() -> Iterator[Elsewhere]:
    found = Elsewhere()
    found.thread.start()
    yield found
    found.server.shutdown()
    found.server.server_close()


def test_files_that_cannot_be_imported_are_refused_and_nothing_is_written(
    app, ledger, sessions, slack, elsewhere
) -> None:
    """Too large by files.info, a PDF, a program, and an address on another host: each refused
    by the file's name with why, nothing downloaded, the token sent nowhere, nothing written."""
    abc = (BANKS / "abc-debit.csv").read_bytes()
    big = slack.share_file("F0BIG", "big.csv", abc, size=11 * 1024 * 1024)
    pdf = slack.share_file("F0PDF", "statement.pdf", b"%PDF-1.7", mimetype="application/pdf")
    exe = slack.share_file("F0EXE", "a.csv.exe", abc, filetype="exe")
    odd = slack.share_file("F0ODD", "abc.csv", abc, url=elsewhere.url)
    for info in (big, pdf, exe, odd):
        use_shortcut(app, slack, info, "mapping:abc")
    too_big, not_a_table, program, not_slack = dm(slack, app, ALICE)

    assert "big.csv is 11.0 MiB; loanwatch imports files up to 10.0 MiB" in too_big
    assert "statement.pdf is not a CSV file or an .xlsx workbook (Slack gives its type" in (
        not_a_table
    )
    assert "a.csv.exe is not a CSV file or an .xlsx workbook" in program
    assert "not on Slack's file host" in not_slack
    names = ("big.csv", "statement.pdf", "a.csv.exe", "abc.csv")
    for name, text in zip(names, (too_big, not_a_table, program, not_slack), strict=True):
        assert f"*{name}* was not imported into *jiebei-main*, and nothing was written" in text
    assert slack.downloads == []
    assert elsewhere.requests == []
    assert repayments(sessions) == []
    assert audited(sessions, "import") == []


def test_a_file_larger_than_files_info_said_stops_at_the_limit(
    ledger, sessions, slack, database_url, clock
) -> None:
    """files.info says 100 bytes; the file host sends more than the 1,000 allowed: refused
    while it arrives, nothing written."""
    settings = app_settings(database_url, slack.api_url, LOANWATCH_IMPORT_MAX_BYTES="1000")
    padded = (BANKS / "abc-debit.csv").read_bytes() + b"\n" * 2000
    info = slack.share_file("F0LIE", "abc.csv", padded, size=100)
    with SlackApp.start(settings, sessions, clock=clock) as app:
        use_shortcut(app, slack, info, "mapping:abc")
        [refused] = dm(slack, app, ALICE)
    assert "abc.csv is larger than 1000 bytes" in refused
    assert repayments(sessions) == []


def test_roles_viewers_may_not_import_and_operators_not_repayments(
    app, ledger, sessions, slack
) -> None:
    """Charlie (viewer) gets the refusal in place of the form and in answer to /loan import;
    Bob (operator) may arm an import, but a file of repayments needs a treasurer: refused when
    it is read, nothing written. Each refusal is audited."""
    info = slack.share_file("F0ABC", "abc-debit.csv", (BANKS / "abc-debit.csv").read_bytes())
    assert app.shortcut(SHORTCUT_CALLBACK, message_with(info), user=CHARLIE).status == 200
    shown = json.dumps(slack.views[-1])
    assert "Only operators may import statements" in shown
    refused = app.command("import jiebei-main --mapping abc", user=CHARLIE)
    assert "Only operators may import statements" in refused.text

    armed, event = arm_and_share(app, slack, "import jiebei-main --mapping abc", info, user=BOB)
    assert "within 10 minutes" in armed.text
    app.deliver_event(event, "Ev0BOB")
    [told] = dm(slack, app, BOB)
    assert "Only treasurers may import repayments and draw confirmations" in told
    assert repayments(sessions) == []
    assert {r.actor for r in audited(sessions, "refused")} == {CHARLIE, BOB}


def test_a_message_without_a_file_says_so(app, ledger, slack) -> None:
    message = {"type": "message", "ts": "1700000100.000200", "user": ALICE, "text": "hi"}
    assert app.shortcut(SHORTCUT_CALLBACK, message).status == 200
    assert "This message has no file loanwatch can import" in json.dumps(slack.views[-1])


def test_an_unknown_facility_or_mapping_is_refused_when_armed(app, ledger, slack) -> None:
    unknown = app.command("import nope --mapping abc")
    assert "nope" in unknown.text
    missing = app.command("import jiebei-main --mapping nope")
    assert "no mapping named nope" in missing.text
    both = app.command("import jiebei-main --mapping abc --format bills")
    assert "leave out --format" in both.text


def test_an_armed_import_expires_after_ten_minutes(app, ledger, sessions, slack, clock) -> None:
    """Shared eleven minutes after `/loan import`: nothing is downloaded or imported."""
    info = slack.share_file("F0ABC", "abc-debit.csv", (BANKS / "abc-debit.csv").read_bytes())
    _, event = arm_and_share(app, slack, "import jiebei-main --mapping abc", info)
    clock.advance(minutes=11)
    assert app.deliver_event(event, "Ev0LATE").status == 200
    assert dm(slack, app, ALICE) == []
    assert slack.downloads == []
    assert repayments(sessions) == []


def test_a_shortcut_or_a_file_event_without_its_ids_is_refused(app, slack) -> None:
    """Signed, but not shaped as Slack sends them: 400, and nothing is opened or fetched."""
    no_trigger = app.interact(
        {
            "type": "message_action",
            "callback_id": SHORTCUT_CALLBACK,
            "user": {"id": ALICE},
            "team": {"id": "T0FINANCE"},
            "api_app_id": "A0LOANWATCH",
            "message": {"ts": "1.2"},
        }
    )
    assert no_trigger.status == 400
    no_file = app.deliver_event({"type": "file_shared", "user_id": ALICE}, "Ev0BAD")
    assert no_file.status == 400
    app.background.settle()
    assert slack.views == []
    assert slack.calls_to("files.info") == []


def test_an_alipay_export_is_detected_and_its_jiebei_repayment_recorded(
    app, ledger, sessions, slack
) -> None:
    """`/loan import jiebei-main` with no format: the export shared (GBK, Alipay's layout) is
    detected as Alipay, its 借呗 repayment recorded and a 花呗 one skipped, as the CLI does."""
    rows = [
        {
            "交易时间": "2017-10-10 08:00:05",
            "交易分类": "信用借还",
            "交易对方": product,
            "商品说明": f"{product}还款",
            "收/支": "支出",
            "金额": "100.00",
            "交易状态": "还款成功",
        }
        for product in ("借呗", "花呗")
    ]
    info = slack.share_file("F0ALI", "支付宝交易明细.csv", build_alipay_export(rows))
    armed, event = arm_and_share(app, slack, "import jiebei-main", info)
    assert "*jiebei-main* and sends you" in armed.text
    app.deliver_event(event, "Ev0ALI")
    [report] = dm(slack, app, ALICE)
    assert "format: alipay" in report
    assert "repayments: 1 added, 0 already present" in report
    assert "信用借还 not for jiebei 1" in report
    assert repayments(sessions) == [(date(2017, 10, 10), Decimal("100.00"))]
