"""App Home, the requests (reading, bill, arrival), their forms and answers, and file imports,
rendered straight from their builders: under the pseudo-locale nothing a person reads is left
outside the catalogs; in Chinese they read as a Chinese finance team writes, and Slack takes
them with the longest Chinese names."""

import json
from datetime import UTC, date, datetime
from decimal import Decimal
from types import SimpleNamespace
from typing import Any
from zoneinfo import ZoneInfo

import pytest
from slack_sdk.models.views import View

from bot.dashboard import AlertLine, Dashboard
from bot.errors import InputError
from bot.i18n import PSEUDO, ZH, _, use
from bot.ledger.import_requests import ImportTarget
from bot.ledger.portfolio import PositionLine, UpcomingLine
from bot.ledger.reading_requests import Answer
from bot.ledger.request_reminders import Waiting
from bot.slack import import_words as words
from bot.slack.actions.values import NOT_OURS
from bot.slack.blocks import validate
from bot.slack.commands.imports import parse_target
from bot.slack.events.home import home_view, shift_line
from bot.slack.files import FileRefusedError, check_host, importable_kind
from bot.slack.reading_blocks import (
    FORM_ALREADY,
    NOT_YOURS,
    answered_message,
    changed_view,
    recorded_line,
    request_message,
)
from bot.slack.request_blocks import (
    arrival_line,
    arrival_message,
    bill_line,
    bill_message,
    different_view,
    waiting_blocks,
)
from bot.slack.views.imports import form_view, notice
from bot.slack.views.metadata import ForgedMetadataError
from tests.support.pseudo import texts_of, unmarked

SHANGHAI = "Asia/Shanghai"
ASKED = datetime(2026, 12, 1, 2, 0, tzinfo=UTC)  # Tuesday 10:00 in Shanghai
# Data, not English: a facility slug, and what the ledger's mapping is called.
DATA = {"jb-1", "abc-1"}
LONG_SLUG = "jb-" + "1" * 61
LONG_NAME = "招商银行深圳分行营业部流动资金贷款（供应商定金专用）" * 4


def reading_payload(slug: str = "jb-1", **extra: Any) -> dict[str, Any]:
    return {
        "request_id": 7,
        "facility": slug,
        "platform": "借呗",
        "currency": "CNY",
        "zone": SHANGHAI,
        "asked_at": ASKED.isoformat(),
        "last": {
            "limit": "300000",
            "available": "216689.32",
            "status": "frozen",
            "observed_at": datetime(2026, 11, 30, 2, 4, tzinfo=UTC).isoformat(),
        },
        **extra,
    }


def bill_payload(slug: str = "jb-1") -> dict[str, Any]:
    return {
        "request_id": 8,
        "facility": slug,
        "platform": "借呗",
        "currency": "CNY",
        "zone": SHANGHAI,
        "due_date": "2026-12-10",
        "expected": "4498.77",
    }


def arrival_payload(slug: str = "jb-1") -> dict[str, Any]:
    return {
        "request_id": 9,
        "facility": slug,
        "platform": "微粒贷",
        "currency": "CNY",
        "zone": SHANGHAI,
        "draw": 3,
        "amount": "50000",
        "logged_at": datetime(2026, 12, 1, 2, 4, tzinfo=UTC).isoformat(),
    }


def board(slug: str = "jb-1", name: str = "借呗主额度") -> Dashboard:
    return Dashboard(
        positions=[
            PositionLine(1, slug, name, "CNY", Decimal(300000), Decimal("83310.68"))
            for _n in range(2)
        ]
        * 25,
        due_this_week=[UpcomingLine(date(2026, 12, 10), slug, "CNY", Decimal("4498.77"))],
        open_alerts=[
            AlertLine(12, "warning", "bill_missing", "借呗 账单未出", None),
            AlertLine(13, "critical", "limit_frozen", "额度冻结", "U0ALICE"),
        ],
        open_alert_count=2,
    )


def shift() -> Any:
    return SimpleNamespace(
        rotation="财务值班",
        override=True,
        timezone=SHANGHAI,
        starts=ASKED,
        ends=datetime(2026, 12, 8, 1, 0, tzinfo=UTC),
    )


def waiting(slug: str = "jb-1") -> list[Waiting]:
    return [
        Waiting(7, slug, ASKED, SHANGHAI, reading_payload(slug), "reading.request"),
        Waiting(8, slug, ASKED, SHANGHAI, bill_payload(slug), "bill.request"),
        Waiting(9, slug, ASKED, SHANGHAI, None),
    ] * 3


def home(slug: str = "jb-1", name: str = "借呗主额度") -> dict[str, Any]:
    return home_view(
        board(slug, name),
        "2026-12-01 10:00 CST",
        [],
        [shift_line(shift(), near=date(2026, 12, 1))],
        waiting_blocks(waiting(slug), total=9),
    )


def answered(slug: str = "jb-1") -> dict[str, Any]:
    """The objects an answer hands to bill_line and arrival_line (duck-typed rows)."""
    facility = SimpleNamespace(slug=slug, currency="CNY", timezone=SHANGHAI)
    bill = SimpleNamespace(
        amount=Decimal("4498.77"), paid=True, paid_at=ASKED, recorded_at=ASKED, observed_at=ASKED
    )
    draw = SimpleNamespace(id=3, amount=Decimal(50000), confirmed_at=ASKED)

    def request(answer: str) -> Any:
        return SimpleNamespace(
            answer=answer, answered_at=ASKED, due_date=date(2026, 12, 10), sent_at=ASKED
        )

    return {
        "bills": [
            SimpleNamespace(request=request(a), facility=facility, bill=bill, found=found)
            for a, found in ((Answer.BILLED, False), (Answer.NOT_YET, False), ("x", True))
        ]
        + [
            SimpleNamespace(
                request=request(Answer.DIFFERENT), facility=facility, bill=bill, found=False
            )
        ],
        "arrivals": [
            SimpleNamespace(request=request(a), facility=facility, draw=draw)
            for a in (Answer.ARRIVED, Answer.NOT_ARRIVED, Answer.LEDGER)
        ],
    }


def every_request_text(slug: str = "jb-1") -> list[Any]:
    """Every message, line and form of the requests, as payloads."""
    reminder = reading_payload(slug, reminder_of=ASKED.isoformat(), reminder_zone=SHANGHAI)
    said = recorded_line(
        "changed",
        facility=slug,
        limit=Decimal(300000),
        available=Decimal("1.5"),
        currency="CNY",
        at=ASKED,
        zone=SHANGHAI,
        late=True,
    )
    gone = recorded_line(
        "unavailable",
        facility=slug,
        limit=None,
        available=None,
        currency="CNY",
        at=ASKED,
        zone=SHANGHAI,
        late=False,
    )
    found = answered(slug)
    lines = [bill_line(a) for a in found["bills"]] + [arrival_line(a) for a in found["arrivals"]]
    return [
        list(request_message(reading_payload(slug))),
        list(request_message(reminder)),
        list(request_message(reading_payload(slug, last=None))),
        list(bill_message(bill_payload(slug))),
        list(arrival_message(arrival_payload(slug))),
        list(answered_message(request_message(reading_payload(slug))[0], said)),
        gone,
        lines,
        _(FORM_ALREADY).format(line=lines[0], command="/loan bill"),
        _(NOT_YOURS).format(owner="<@U0DANA>"),
        _(NOT_OURS),
    ]


def forms(slug: str = "jb-1") -> list[dict[str, Any]]:
    return [
        changed_view(
            facility=slug,
            currency="CNY",
            last_limit=Decimal(300000),
            last_available=None,
            expected=Decimal("216689.32"),
            private_metadata="m",
        ),
        different_view(
            facility=slug,
            currency="CNY",
            due_date="12月10日（周四）",
            expected=Decimal("4498.77"),
            private_metadata="m",
        ),
    ]


def import_texts() -> list[Any]:
    """The import's form, notices, answers and refusals."""
    errors: list[str] = []
    for typed in (
        ["jb-1", "--size"],
        ["jb-1", "--format"],
        ["jb-1", "--format", "x", "--format=y"],
        ["jb-1", "--format=bills", "--mapping=abc-1"],
        [],
    ):
        with pytest.raises(InputError) as refused:
            parse_target(typed)
        errors.append(str(refused.value))
    for info in ({"name": "x.pdf", "filetype": "pdf"}, {"name": "", "filetype": "xls"}):
        with pytest.raises(FileRefusedError) as refused:
            importable_kind(info)
        errors.append(str(refused.value))
    with pytest.raises(FileRefusedError) as refused:
        check_host("https://jb-1.example/x", "https://slack.com/api/")
    errors.append(str(refused.value).replace("files.slack.com", "").replace("slack.com", ""))
    errors.append(str(ForgedMetadataError()))
    return [
        form_view(["jb-1"], ["abc-1"], [["F0A", "对账单.csv"], ["F0B", "账单.xlsx"]], "m"),
        form_view(["jb-1"], [], [["F0A", "对账单.csv"]], "m"),
        notice(_(words.NO_FILE)),
        notice(_(words.NO_FACILITIES)),
        words.armed(ImportTarget("jb-1", mapping="abc-1"), "12月1日（周二）10:10"),
        words.armed(ImportTarget("jb-1", fmt="bills"), "12月1日（周二）10:10"),
        words.refused("对账单.csv", "jb-1", "原因"),
        words.refused(None, "jb-1", "原因"),
        words.report(
            "对账单.csv",
            "jb-1",
            SimpleNamespace(added={}, updated={}, corrected={}, lines=lambda: []),
        ),
        words.report(
            "对账单.csv",
            "jb-1",
            SimpleNamespace(added={"bills": 1}, updated={}, corrected={}, lines=lambda: []),
        ),
        errors,
    ]


def texts(payload: Any) -> list[str]:
    if isinstance(payload, str):
        return [payload]
    if isinstance(payload, list) and all(isinstance(p, str) for p in payload):
        return payload
    if isinstance(payload, list):
        return [t for p in payload for t in texts(p)]
    return list(texts_of(payload))


@pytest.mark.parametrize(
    "render", [home, every_request_text, forms, import_texts], ids=lambda f: f.__name__
)
def test_every_text_goes_through_the_catalogs(render) -> None:
    with use(PSEUDO):
        shown = texts(render())
    assert shown
    # `:warning:` is an emoji's code; the alerts' checks are said by their names.
    allowed = DATA | {"warning"}
    assert unmarked(shown, allowed=allowed) == []


def test_app_home_in_chinese() -> None:
    with use(ZH):
        view = home()
    shown = json.dumps(view, ensure_ascii=False)
    for said in (
        "待你回复（9）",
        "你的值班安排",
        "（临时调班）：12月1日（周二）10:00 → 12月8日（周二）09:00",
        "授信额度",
        "*额度*\\n¥300,000.00（30万）",
        "*可用额度*\\n¥216,689.32（21.67万）",
        "本周到期账单",
        "• 12月10日（周四） *jb-1*: ¥4,498.77",
        "未处理告警（2）",
        "*12* 警告 账单缺失",
        "*13* 严重 额度冻结 · 已由<@U0ALICE>确认",
        "确认收到",
        "另有 10 个：`/loan status`",
        "更新于",
    ):
        assert said in shown, said
    assert "Limit" not in shown
    assert "Waiting" not in shown
    assert "bill_missing" not in shown  # the check's name, not its code


def test_requests_in_chinese() -> None:
    with use(ZH):
        question, _blocks = request_message(reading_payload())
        reminder, _blocks = request_message(
            reading_payload(reminder_of=ASKED.isoformat(), reminder_zone=SHANGHAI)
        )
        bill, bill_blocks = bill_message(bill_payload())
        arrival, arrival_blocks = arrival_message(arrival_payload())
        found = answered()
        billed = bill_line(found["bills"][0])
        arrived = arrival_line(found["arrivals"][0])
        late = recorded_line(
            "same",
            facility="jb-1",
            limit=Decimal(300000),
            available=Decimal("216689.32"),
            currency="CNY",
            at=ASKED,
            zone=SHANGHAI,
            late=True,
        )
        changed, different = forms()
    assert question == (
        "借呗 jb-1：平台现在显示的额度是多少？上次读数：额度¥300,000，可用¥216,689.32，已冻结"
        "（昨天 10:04）"
    )
    assert reminder.startswith("提醒：此问题于12月1日（周二）10:00发出，尚未回复。\n借呗 jb-1：")
    assert bill == "借呗 jb-1：12月10日（周四）的账单出了吗？台账预计为¥4,498.77"
    assert "已出账，金额相符" in json.dumps(bill_blocks, ensure_ascii=False)
    assert arrival == "¥50,000到账了吗？（微粒贷 jb-1，借款时间12月1日（周二）10:04）"
    assert '"是"' in json.dumps(arrival_blocks, ensure_ascii=False)
    assert billed == (
        "已于12月1日（周二）10:00为jb-1记录：12月10日（周四）到期的账单，¥4,498.77（与预计相符）。"
    )
    assert arrived == "已于12月1日（周二）10:00记录：jb-1的借款 #3（¥50,000.00）已到账，已确认。"
    assert late == (
        "已于12月1日（周二）10:00为jb-1记录：额度¥300,000，可用¥216,689.32（与上次相同）。"
        "回复较晚，仍然有效。"
    )
    assert changed["title"]["text"] == "平台显示的额度"
    assert different["title"]["text"] == "平台账单"
    assert changed["submit"]["text"] == "记录"


def test_chinese_payloads_keep_slacks_limits_with_the_longest_names() -> None:
    with use(ZH):
        view = home(LONG_SLUG, LONG_NAME)
        messages = [
            request_message(reading_payload(LONG_SLUG)),
            request_message(
                reading_payload(LONG_SLUG, reminder_of=ASKED.isoformat(), reminder_zone=SHANGHAI)
            ),
            bill_message(bill_payload(LONG_SLUG)),
            arrival_message(arrival_payload(LONG_SLUG)),
        ]
        shared = [["F0A", LONG_NAME], ["F0B", "账单.xlsx"]]
        modals = [*forms(LONG_SLUG), form_view([LONG_SLUG], [LONG_NAME], shared, "m")]
    assert len(view["blocks"]) <= 100
    View(**view).validate_json()
    for _text, blocks in messages:
        validate(blocks)
    for modal in modals:
        View(**modal).validate_json()
        assert len(modal["title"]["text"]) <= 24


def test_imports_in_chinese() -> None:
    with use(ZH):
        form = form_view(["jb-1"], ["abc-1"], [["F0A", "对账单.csv"]], "m")
        armed = words.armed(ImportTarget("jb-1", mapping="abc-1"), "12月1日（周二）10:10")
        refused = words.refused("对账单.csv", "jb-1", "原因")
        with pytest.raises(InputError, match="请说明文件属于哪个授信额度"):
            parse_target([])
    assert form["title"]["text"] == "导入对账单"
    assert "文件：对账单.csv" in json.dumps(form, ensure_ascii=False)
    assert armed.startswith("请在 10 分钟内（12月1日（周二）10:10前）在本频道")
    assert "导入*jb-1*（使用映射*abc-1*）" in armed
    assert refused == ":warning: *对账单.csv*未导入*jb-1*，未写入任何数据：\n原因"


def test_english_is_as_it_was() -> None:
    question, _blocks = request_message(
        reading_payload(reminder_of=ASKED.isoformat(), reminder_zone=SHANGHAI)
    )
    assert question == (
        "Reminder: this was asked at 10:00 (Tuesday 2026-12-01) and is not answered yet.\n"
        "借呗 jb-1: what does the platform show now? Last reading ¥300,000 limit, ¥216,689.32 "
        "available, frozen (yesterday 10:04)"
    )
    assert words.armed(ImportTarget("jb-1", fmt="bills"), "X").count("*jb-1* as bills csv") == 1
    assert bill_message(bill_payload())[0] == (
        "借呗 jb-1: has the bill for 2026-12-10 appeared? The ledger expects ¥4,498.77"
    )
    assert arrival_message(arrival_payload())[0] == (
        "Did the ¥50,000 arrive? (微粒贷 jb-1, drawn 2026-12-01 10:04)"
    )
    assert shift_line(shift()) == (
        "• *财务值班* (override): 2026-12-01 10:00 CST → 2026-12-08 09:00 CST"
    )
    assert ZoneInfo(SHANGHAI)  # the zone the payloads name exists
