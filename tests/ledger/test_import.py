"""`loanwatch import` end to end: statement files applied to the ledger, on both databases.

Alice is the treasurer. She keeps a 借呗 line, jiebei-main, on which she drew 10,000.00 on
2025-01-10 over 12 months, and imports what the platform and Alipay show about it.
"""

import csv
from collections import Counter
from datetime import date, datetime
from decimal import Decimal
from pathlib import Path
from zoneinfo import ZoneInfo

import pytest
from sqlalchemy import func, select
from sqlalchemy.orm import Session, sessionmaker

from bot.audit import Actor
from bot.cli import main
from bot.db import transaction
from bot.ledger.draws import current_installments
from bot.ledger.facilities import get_facility
from bot.ledger.importer import ImportSummary, import_statement
from bot.ledger.statements.rows import StatementError
from bot.models import (
    AuditRecord,
    Bill,
    Draw,
    DrawConfirmation,
    Installment,
    LimitReading,
    Repayment,
    RepaymentAllocation,
)
from tests.ledger.alipay_export import FIRST_ROW_LINE, build_alipay_export
from tests.ledger.cast import jiebei_line, log_draw

SHANGHAI = ZoneInfo("Asia/Shanghai")
FIXTURE = Path(__file__).parent.parent / "fixtures" / "statements" / "alipay-records-2023.csv"
SLUG = "jiebei-main"
DRAWN_ON = date(2025, 1, 10)

DRAW_ORDER = "20250110200040011100990000000001"
FIRST_REPAYMENT_ORDER = "20250210200040011100990000000002"
SECOND_REPAYMENT_ORDER = "20250310200040011100990000000003"
HUABEI_ORDER = "20250309200040011100990000000004"

# Positions of rows in jiebei_export(); the row at index i is on line FIRST_ROW_LINE + i.
FIRST_REPAYMENT_ROW = 4
SECOND_REPAYMENT_ROW = 1
DINNER_ROW = 3


@pytest.fixture
def schedule(sessions: sessionmaker[Session], alice: Actor, now: datetime) -> list[Installment]:
    """Alice opened jiebei-main and logged a draw of 10,000.00 on 2025-01-10 over 12 months."""
    with transaction(sessions) as session:
        facility = jiebei_line(session, alice, now, slug=SLUG)
        draw = log_draw(session, alice, facility, "10000.00", 12, DRAWN_ON, now=now)
        return current_installments(session, draw)


def jiebei_export(schedule: list[Installment], **replace: dict[str, str]) -> bytes:
    """An Alipay export (newest first) with the payout, two 借呗 repayments, 花呗 and shopping.

    `replace` maps a row name (payout, first, second, dinner) to cells that override it.
    """
    first, second = schedule[0], schedule[1]
    rows = {
        "groceries": {"交易时间": "2025-03-12 12:30:00", "交易分类": "日用百货", "金额": "58.00"},
        "second": _jiebei_repayment(second, SECOND_REPAYMENT_ORDER),
        "huabei": {
            "交易时间": "2025-03-09 09:00:00",
            "交易分类": "信用借还",
            "交易对方": "花呗",
            "商品说明": "花呗还款",
            "收/支": "支出",
            "金额": "320.00",
            "交易状态": "还款成功",
            "交易订单号": HUABEI_ORDER,
        },
        "dinner": {"交易时间": "2025-02-14 19:00:00", "交易分类": "餐饮美食", "金额": "188.00"},
        "first": _jiebei_repayment(first, FIRST_REPAYMENT_ORDER),
        "payout": {
            "交易时间": "2025-01-10 10:00:00",
            "交易分类": "信用借还",
            "交易对方": "借呗",
            "商品说明": "借呗放款至余额",
            "收/支": "收入",
            "金额": "10000.00",
            "交易状态": "放款成功",
            "交易订单号": DRAW_ORDER,
        },
        "stationery": {"交易时间": "2025-01-08 15:00:00", "交易分类": "日用百货", "金额": "12.50"},
    }
    for name, cells in replace.items():
        rows[name] = {**rows[name], **cells}
    return build_alipay_export(list(rows.values()))


def _jiebei_repayment(installment: Installment, order_no: str) -> dict[str, str]:
    return {
        "交易时间": f"{installment.due_date.isoformat()} 08:00:05",
        "交易分类": "信用借还",
        "交易对方": "借呗",
        "商品说明": "借呗还款",
        "收/支": "支出",
        "金额": f"{installment.amount:.2f}",
        "交易状态": "还款成功",
        "交易订单号": order_no,
    }


def import_into(
    sessions: sessionmaker[Session], actor: Actor, data: bytes, now: datetime
) -> ImportSummary:
    """Import `data` on jiebei-main in one transaction, as `loanwatch import` does."""
    with transaction(sessions) as session:
        facility = get_facility(session, SLUG, for_update=True)
        return import_statement(session, actor, facility, data, now=now)


def stored(sessions: sessionmaker[Session]) -> dict[str, int]:
    """How many rows each table an import can touch holds, and how many are settled."""
    with sessions() as session:
        counts = {
            model.__tablename__: session.scalar(select(func.count()).select_from(model)) or 0
            for model in (
                Repayment,
                RepaymentAllocation,
                DrawConfirmation,
                Bill,
                LimitReading,
                Installment,
                AuditRecord,
            )
        }
        counts["paid installments"] = (
            session.scalar(select(func.count(Installment.id)).where(Installment.status == "paid"))
            or 0
        )
        counts["confirmed draws"] = (
            session.scalar(select(func.count(Draw.id)).where(Draw.confirmed_at.is_not(None))) or 0
        )
        return counts


def import_audits(sessions: sessionmaker[Session]) -> list[AuditRecord]:
    with sessions() as session:
        return list(
            session.scalars(
                select(AuditRecord).where(AuditRecord.action == "import").order_by(AuditRecord.id)
            )
        )


def run_cli(database_url: str, *args: str) -> int:
    return main(["--database-url", database_url, *args])


# --- the real Alipay export -----------------------------------------------------------------


def test_the_real_alipay_export_adds_nothing_and_counts_every_row_by_category(
    sessions: sessionmaker[Session], alice: Actor, now: datetime
) -> None:
    """The fixture has no 信用借还 rows: nothing is recorded, each row is skipped by category."""
    lines = FIXTURE.read_bytes().decode("gb18030").splitlines()
    header_at = next(i for i, line in enumerate(lines) if line.startswith("交易时间"))
    by_category = Counter(cells[1].strip() for cells in csv.reader(lines[header_at + 1 :]))
    assert by_category == {
        "日用百货": 4,
        "退款": 2,
        "亲友代付": 1,
        "投资理财": 1,
        "转账红包": 1,
        "交通出行": 1,
    }
    with transaction(sessions) as session:
        facility_id = jiebei_line(session, alice, now, slug=SLUG).id

    summary = import_into(sessions, alice, FIXTURE.read_bytes(), now)

    assert summary.format == "alipay"
    assert summary.added == {}
    assert summary.already_present == {}
    assert summary.skipped == by_category
    counts = stored(sessions)
    assert counts["repayments"] == counts["draw_confirmations"] == 0
    [audit] = import_audits(sessions)
    assert (audit.actor, audit.entity, audit.entity_id) == (
        "cli:alice",
        "facilities",
        str(facility_id),
    )
    assert audit.after is not None
    assert audit.after["skipped"] == dict(by_category)
    assert audit.after["added"] == {}


# --- an export with 借呗 movements -----------------------------------------------------------


def test_a_jiebei_export_confirms_the_draw_and_pays_the_first_two_installments(
    sessions: sessionmaker[Session], alice: Actor, now: datetime, schedule: list[Installment]
) -> None:
    """The payout confirms Alice's draw; the two 借呗 repayments settle installments 1 and 2."""
    summary = import_into(sessions, alice, jiebei_export(schedule), now)

    assert summary.added == {"draw confirmations": 1, "repayments": 2}
    assert summary.already_present == {}
    with sessions() as session:
        draw = session.scalars(select(Draw)).one()
        assert draw.confirmed_at == datetime(2025, 1, 10, 10, 0, tzinfo=SHANGHAI)
        confirmation = session.scalars(select(DrawConfirmation)).one()
        assert (confirmation.external_ref, confirmation.draw_id) == (DRAW_ORDER, draw.id)
        repayments = session.scalars(select(Repayment).order_by(Repayment.paid_on)).all()
        assert [(r.external_ref, r.amount, r.paid_on) for r in repayments] == [
            (FIRST_REPAYMENT_ORDER, schedule[0].amount, schedule[0].due_date),
            (SECOND_REPAYMENT_ORDER, schedule[1].amount, schedule[1].due_date),
        ]
        installments = current_installments(session, draw)
    assert [(i.seq, i.status, i.paid_on) for i in installments[:3]] == [
        (1, "paid", schedule[0].due_date),
        (2, "paid", schedule[1].due_date),
        (3, "scheduled", None),
    ]
    assert all(i.revision == 0 for i in installments)


def test_a_huabei_repayment_in_the_same_export_is_skipped_and_counted(
    sessions: sessionmaker[Session], alice: Actor, now: datetime, schedule: list[Installment]
) -> None:
    """A 花呗 还款 is not a 借呗 repayment: it is counted as skipped, and so is the shopping."""
    summary = import_into(sessions, alice, jiebei_export(schedule), now)

    huabei = {category: n for category, n in summary.skipped.items() if "信用借还" in category}
    ordinary = {
        category: n for category, n in summary.skipped.items() if "信用借还" not in category
    }
    assert huabei == {"信用借还 not for jiebei": 1}
    assert ordinary == {"日用百货": 2, "餐饮美食": 1}
    with sessions() as session:
        refs = session.scalars(select(Repayment.external_ref)).all()
    assert HUABEI_ORDER not in refs


def test_importing_the_same_export_twice_adds_nothing_the_second_time(
    sessions: sessionmaker[Session], alice: Actor, now: datetime, schedule: list[Installment]
) -> None:
    """The second import finds every movement already present and writes only its audit record."""
    data = jiebei_export(schedule)
    import_into(sessions, alice, data, now)
    before = stored(sessions)

    again = import_into(sessions, alice, data, now)

    assert again.added == {}
    assert again.already_present == {"draw confirmations": 1, "repayments": 2}
    assert stored(sessions) == {**before, "audit_records": before["audit_records"] + 1}
    assert len(import_audits(sessions)) == 2


# --- files refused whole --------------------------------------------------------------------


def test_a_bad_amount_in_the_middle_refuses_the_whole_file(
    sessions: sessionmaker[Session], alice: Actor, now: datetime, schedule: list[Installment]
) -> None:
    """金额 "12.3x" on a shopping row between the 借呗 rows names its line; nothing is recorded."""
    data = jiebei_export(schedule, dinner={"金额": "12.3x"})
    before = stored(sessions)

    with pytest.raises(StatementError) as refused:
        import_into(sessions, alice, data, now)

    assert refused.value.line == FIRST_ROW_LINE + DINNER_ROW
    assert str(refused.value).startswith(f'line {FIRST_ROW_LINE + DINNER_ROW}: 金额 "12.3x"')
    assert stored(sessions) == before


def test_a_repayment_of_more_than_the_facility_owes_is_recorded_with_what_it_cannot_explain(
    sessions: sessionmaker[Session], alice: Actor, now: datetime, schedule: list[Installment]
) -> None:
    """20,000.00 back on a 10,000.00 draw is what the platform collected: the import keeps it,
    pays off the draw and holds the rest as unexplained (a repayment_mismatch alert asks)."""
    data = jiebei_export(schedule, second={"金额": "20000.00"})

    import_into(sessions, alice, data, now)

    with sessions() as session:
        repayments = session.scalars(select(Repayment).order_by(Repayment.paid_on)).all()
        assert [r.amount for r in repayments][-1] == Decimal("20000.00")
        assert repayments[-1].unexplained > Decimal("9000.00")
        assert all(r.unexplained == 0 for r in repayments[:-1])


@pytest.mark.parametrize(
    ("fault", "row"),
    [
        pytest.param({"dinner": {"金额": "12.3x"}}, DINNER_ROW, id="bad-amount"),
    ],
)
def test_the_cli_refuses_a_bad_file_with_one_line_naming_the_row_and_writes_nothing(
    database_url: str,
    sessions: sessionmaker[Session],
    schedule: list[Installment],
    tmp_path: Path,
    capsys: pytest.CaptureFixture[str],
    fault: dict[str, dict[str, str]],
    row: int,
) -> None:
    """`loanwatch import` exits 2 with one `line N:` error on stderr; the database is unchanged."""
    path = tmp_path / "alipay.csv"
    path.write_bytes(jiebei_export(schedule, **fault))
    before = stored(sessions)

    status = run_cli(database_url, "import", str(path), "--facility", SLUG)

    captured = capsys.readouterr()
    assert status == 2
    assert captured.out == ""
    [error] = captured.err.splitlines()
    assert error.startswith(f"loanwatch: error: line {FIRST_ROW_LINE + row}: ")
    assert stored(sessions) == before


# --- bills and limit readings ---------------------------------------------------------------

BILLS_UTF8 = (
    b"due_date,amount,paid,observed_at,reference\n"
    b"2025-02-10,899.75,no,2025-01-31 09:00,JB202502\n"
    b'2025-03-10,"1,200.00",yes,,\n'
)
BILLS_GBK = (
    "到期日,应还金额(元),是否已还,观测时间,账单号\r\n"
    "2025/4/10,899.75,未还,2025/3/31 9:00,JB202504\r\n"
    "2025/5/10,899.80,已还,,\r\n"
).encode("gbk")
# Excel's "CSV UTF-8" writes a BOM; the second reading is what a frozen line shows.
LIMITS = (
    "\ufeff观测时间,额度,可用额度,状态\n"
    "2025-03-10 09:00,200000,190000,正常\n"
    "2025-03-11 09:00,0,0,冻结\n"
).encode()


def test_bills_in_utf8_are_recorded_as_the_platform_shows_them(
    sessions: sessionmaker[Session], alice: Actor, now: datetime, schedule: list[Installment]
) -> None:
    """Each row is a bill with its due date, amount, paid flag, time seen and reference."""
    summary = import_into(sessions, alice, BILLS_UTF8, now)

    assert summary.format == "bills"
    assert summary.added == {"bills": 2}
    with sessions() as session:
        bills = session.scalars(select(Bill).order_by(Bill.due_date)).all()
    assert [(b.due_date, b.amount, b.paid, b.observed_at, b.reference) for b in bills] == [
        (
            date(2025, 2, 10),
            Decimal("899.75"),
            False,
            datetime(2025, 1, 31, 9, 0, tzinfo=SHANGHAI),
            "JB202502",
        ),
        (date(2025, 3, 10), Decimal("1200.00"), True, now, None),
    ]


def test_bills_saved_by_excel_in_gbk_with_chinese_headers_are_recorded(
    sessions: sessionmaker[Session], alice: Actor, now: datetime, schedule: list[Installment]
) -> None:
    """到期日/应还金额(元)/是否已还/观测时间/账单号 in GBK read like their English names."""
    summary = import_into(sessions, alice, BILLS_GBK, now)

    assert summary.added == {"bills": 2}
    with sessions() as session:
        bills = session.scalars(select(Bill).order_by(Bill.due_date)).all()
    assert [(b.due_date, b.amount, b.paid, b.observed_at, b.reference) for b in bills] == [
        (
            date(2025, 4, 10),
            Decimal("899.75"),
            False,
            datetime(2025, 3, 31, 9, 0, tzinfo=SHANGHAI),
            "JB202504",
        ),
        (date(2025, 5, 10), Decimal("899.80"), True, now, None),
    ]


def test_limit_readings_are_recorded_including_a_zero_limit_frozen_reading(
    sessions: sessionmaker[Session], alice: Actor, now: datetime, schedule: list[Installment]
) -> None:
    """A limit of 0, available 0, 冻结 is stored as the frozen reading it is, not refused."""
    summary = import_into(sessions, alice, LIMITS, now)

    assert summary.format == "limits"
    assert summary.added == {"limit readings": 2}
    with sessions() as session:
        readings = session.scalars(select(LimitReading).order_by(LimitReading.observed_at)).all()
    assert [(r.observed_at, r.limit_amount, r.available, r.status) for r in readings] == [
        (
            datetime(2025, 3, 10, 9, 0, tzinfo=SHANGHAI),
            Decimal("200000.00"),
            Decimal("190000.00"),
            "active",
        ),
        (datetime(2025, 3, 11, 9, 0, tzinfo=SHANGHAI), Decimal("0.00"), Decimal("0.00"), "frozen"),
    ]


@pytest.mark.parametrize(
    ("data", "kind"),
    [
        pytest.param(BILLS_UTF8, "bills", id="bills-utf8"),
        pytest.param(BILLS_GBK, "bills", id="bills-gbk"),
        pytest.param(LIMITS, "limit readings", id="limits"),
    ],
)
def test_reimporting_bills_or_limits_adds_nothing(
    sessions: sessionmaker[Session],
    alice: Actor,
    now: datetime,
    schedule: list[Installment],
    data: bytes,
    kind: str,
) -> None:
    """The same file again finds both rows already present and writes only its audit record."""
    import_into(sessions, alice, data, now)
    before = stored(sessions)

    again = import_into(sessions, alice, data, now)

    assert again.added == {}
    assert again.already_present == {kind: 2}
    assert stored(sessions) == {**before, "audit_records": before["audit_records"] + 1}


def test_a_later_statement_with_another_amount_corrects_the_bill(
    sessions: sessionmaker[Session], alice: Actor, now: datetime, schedule: list[Installment]
) -> None:
    """The same bill (due date and reference) for another amount is a correction: a new version,
    the old kept as history, current until loanwatch learned of the correction (the import's
    time, later than the statement's 2025-02-01: `check --at` between them sees the old
    amount); the earlier statement imported again changes nothing."""
    import_into(sessions, alice, BILLS_UTF8, now)
    corrected = BILLS_UTF8.replace(b"899.75", b"889.75").replace(b"2025-01-31", b"2025-02-01")

    summary = import_into(sessions, alice, corrected, now)
    again = import_into(sessions, alice, BILLS_UTF8, now)

    assert summary.corrected == {"bills": 1}
    assert "bills: 0 added, 1 corrected, 1 already present" in summary.lines()
    assert (again.added, again.corrected) == ({}, {})
    with sessions() as session:
        versions = session.scalars(
            select(Bill).where(Bill.due_date == date(2025, 2, 10)).order_by(Bill.id)
        ).all()
    assert [(b.amount, b.superseded_at) for b in versions] == [
        (Decimal("899.75"), now),
        (Decimal("889.75"), None),
    ]


# --- the command line -----------------------------------------------------------------------


def test_the_cli_import_prints_a_summary_a_finance_person_can_read(
    database_url: str,
    sessions: sessionmaker[Session],
    tmp_path: Path,
    capsys: pytest.CaptureFixture[str],
) -> None:
    """Alice sees what was added, what was already there, and what was skipped and why."""
    assert (
        run_cli(database_url, "facility", "add", SLUG, "--platform", "jiebei", "--limit", "20万")
        == 0
    )
    draw_args = ["draw", "add", SLUG, "10,000.00", "--months", "12", "--on", "2025-01-10"]
    assert run_cli(database_url, *draw_args) == 0
    with sessions() as session:
        schedule = current_installments(session, session.scalars(select(Draw)).one())
    path = tmp_path / "alipay-2025Q1.csv"
    path.write_bytes(jiebei_export(schedule))
    capsys.readouterr()

    first = run_cli(database_url, "import", str(path), "--facility", SLUG)
    shown = capsys.readouterr()
    again = run_cli(database_url, "import", str(path), "--facility", SLUG)
    shown_again = capsys.readouterr()

    assert (first, again) == (0, 0)
    assert shown.err == ""
    lines = [line.strip() for line in shown.out.splitlines()]
    assert lines[0] == f"imported alipay-2025Q1.csv into {SLUG}"
    assert "format: alipay" in lines
    assert "draw confirmations: 1 added, 0 already present" in lines
    assert "repayments: 2 added, 0 already present" in lines
    [skipped] = [line for line in lines if line.startswith("skipped")]
    assert skipped.startswith("skipped: 4 (")
    assert "日用百货 2" in skipped
    assert "餐饮美食 1" in skipped
    assert "信用借还 not for jiebei 1" in skipped
    lines_again = [line.strip() for line in shown_again.out.splitlines()]
    assert "draw confirmations: 0 added, 1 already present" in lines_again
    assert "repayments: 0 added, 2 already present" in lines_again


def test_a_credit_card_repayment_naming_no_jiebei_product_is_skipped(
    sessions: sessionmaker[Session], alice: Actor, now: datetime, schedule: list[Installment]
) -> None:
    """A 信用借还 row for a bank's credit card (信用卡还款) never pays the 借呗 line."""
    card = {
        "交易时间": "2025-02-10 09:00:00",
        "交易分类": "信用借还",
        "交易对方": "招商银行",
        "商品说明": "信用卡还款",
        "收/支": "支出",
        "金额": "899.75",
        "交易状态": "还款成功",
    }
    summary = import_into(sessions, alice, build_alipay_export([card]), now)

    assert summary.skipped == {"信用借还 not for jiebei": 1}
    assert summary.added == {}
    with sessions() as session:
        assert session.scalars(select(Repayment)).all() == []
