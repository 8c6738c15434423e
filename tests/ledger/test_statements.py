"""Reading statement files: bills and limits CSV, Alipay exports, and the format sniffing."""

import csv
from collections import Counter
from datetime import UTC, date, datetime, timedelta
from decimal import Decimal
from pathlib import Path
from zoneinfo import ZoneInfo

import pytest

from bot.errors import InputError
from bot.ledger.statements import parse_statement
from bot.ledger.statements.rows import AlipayCreditRow, BillRow, LimitRow, StatementError
from tests.ledger.alipay_export import FIRST_ROW_LINE, HEADER_LINE, build_alipay_export

SHANGHAI = ZoneInfo("Asia/Shanghai")
FIXTURE = Path(__file__).parent.parent / "fixtures" / "statements" / "alipay-records-2023.csv"

JIEBEI_REPAYMENT = {
    "交易时间": "2025-03-10 08:00:05",
    "交易分类": "信用借还",
    "交易对方": "借呗",
    "商品说明": "借呗还款",
    "收/支": "支出",
    "金额": "1025.30",
    "交易状态": "交易成功",
    "交易订单号": "20250310200040011100990012345678",
}
JIEBEI_DRAW = {
    "交易时间": "2025-03-11 14:20:00",
    "交易分类": "信用借还",
    "交易对方": "借呗",
    "商品说明": "借呗放款至余额宝",
    "收/支": "不计收支",
    "金额": "50000.00",
    "交易状态": "放款成功",
    "交易订单号": "20250311200040011100990087654321",
}


def fixture_lines() -> list[bytes]:
    return FIXTURE.read_bytes().splitlines(keepends=True)


def with_line(lines: list[bytes], number: int, replacement: bytes) -> bytes:
    """The file with its 1-based line ``number`` replaced."""
    return b"".join([*lines[: number - 1], replacement, *lines[number:]])


def error_of(data: bytes, fmt: str = "auto") -> str:
    with pytest.raises(StatementError) as caught:
        parse_statement(data, fmt, tz=SHANGHAI)
    return str(caught.value)


def at(hour: int, minute: int = 0, second: int = 0, *, day: int = 10, month: int = 3) -> datetime:
    return datetime(2025, month, day, hour, minute, second, tzinfo=SHANGHAI)


# --- the real Alipay export -----------------------------------------------------------------


def test_the_real_alipay_export_is_all_skipped_rows_counted_by_category() -> None:
    """The fixture has no 信用借还 rows: each of its rows is counted under its 交易分类."""
    # Counted apart from the parser: the rows after the line that starts with 交易时间.
    lines = FIXTURE.read_bytes().decode("gb18030").splitlines()
    header_at = next(i for i, line in enumerate(lines) if line.startswith("交易时间"))
    independent = Counter(cells[1].strip() for cells in csv.reader(lines[header_at + 1 :]))

    statement = parse_statement(FIXTURE.read_bytes(), "alipay", tz=SHANGHAI)

    assert statement.format == "alipay"
    assert statement.credit_rows == []
    assert statement.skipped == independent
    assert statement.skipped == {
        "日用百货": 4,
        "退款": 2,
        "亲友代付": 1,
        "投资理财": 1,
        "转账红包": 1,
        "交通出行": 1,
    }


def test_the_real_export_announces_more_records_than_it_holds() -> None:
    """The preamble's 共66笔记录 is reported as read, not enforced against the 10 rows."""
    statement = parse_statement(FIXTURE.read_bytes(), "alipay", tz=SHANGHAI)

    assert statement.announced_records == 66
    assert sum(statement.skipped.values()) == 10


def test_the_real_export_reads_the_same_with_windows_line_ends() -> None:
    """CRLF line ends change neither the rows nor the line numbers."""
    crlf = FIXTURE.read_bytes().replace(b"\n", b"\r\n")
    damaged = with_line(crlf.splitlines(keepends=True), 30, b"2023-01-18 10:17:29,x\r\n")

    assert parse_statement(crlf, tz=SHANGHAI) == parse_statement(FIXTURE.read_bytes(), tz=SHANGHAI)
    assert error_of(damaged).startswith("line 30: ")


@pytest.mark.parametrize("fmt", ["alipay", "auto"])
def test_a_bad_amount_in_the_real_export_is_refused_with_its_line(fmt: str) -> None:
    """Line 26's 49.74 turned into "abc" refuses the file at line 26, even on a skipped row."""
    lines = fixture_lines()
    damaged = with_line(lines, 26, lines[25].replace(b"49.74", b"abc  "))

    message = error_of(damaged, fmt)

    assert message.startswith('line 26: 金额 "abc" is not an amount')


@pytest.mark.parametrize("fmt", ["alipay", "auto"])
def test_a_truncated_row_in_the_real_export_is_refused_with_its_line(fmt: str) -> None:
    """A row cut after four cells, mid-file, is refused at its own line."""
    lines = fixture_lines()
    cut = b",".join(lines[29].split(b",")[:4]) + b"\n"

    message = error_of(with_line(lines, 30, cut), fmt)

    assert message.startswith("line 30: 4 cells where the header has 12 columns")


def test_a_last_row_cut_off_without_a_line_end_is_refused() -> None:
    """A download that stopped mid-row is refused at the last line."""
    data = FIXTURE.read_bytes().removesuffix(b"\n")
    cut = data[: data.rindex(b"\n") + 30]

    assert error_of(cut, "alipay").startswith("line 35: 3 cells where the header has 12")


@pytest.mark.parametrize("fmt", ["alipay", "auto"])
def test_bytes_that_are_not_gb18030_are_refused_with_their_line(fmt: str) -> None:
    """0xFF cannot start a GB18030 character: the file is refused at the line that holds it."""
    lines = fixture_lines()
    damaged = with_line(lines, 28, lines[27].replace(b"xxxxxxx", b"xx\xffxxxx"))

    message = error_of(damaged, fmt)

    assert message.startswith("line 28: the bytes b'\\xff")
    assert "GB18030" in message


# --- exports built in the same layout -------------------------------------------------------


def test_the_builder_matches_the_real_export_layout() -> None:
    """A built export has the preamble, header line and cell padding of the real file."""
    built = build_alipay_export([{"金额": "1.00"}]).decode("gbk").splitlines()
    real = FIXTURE.read_bytes().decode("gb18030").splitlines()

    assert len(built[: HEADER_LINE - 1]) == len(real[: HEADER_LINE - 1]) == 24
    assert built[HEADER_LINE - 1].startswith("交易时间 ")
    assert real[HEADER_LINE - 1].startswith("交易时间 ")
    assert built[7] == "共1笔记录"
    assert "\t" in built[FIRST_ROW_LINE - 1]


def test_jiebei_rows_become_repayments_and_draw_confirmations() -> None:
    """信用借还 rows for 借呗 are kept with line, local time, amount, kind, order number."""
    data = build_alipay_export(
        [
            {"交易分类": "餐饮美食", "金额": "32.50"},
            JIEBEI_REPAYMENT,
            JIEBEI_DRAW,
            {
                "交易时间": "2025-04-10 07:59:59",
                "交易分类": "信用借还",
                "交易对方": "借呗",
                "商品说明": "借呗提前还款-本金",
                "收/支": "不计收支",
                "金额": "899.75",
                "交易状态": "还款成功",
            },
            {"交易分类": "转账红包", "收/支": "收入", "金额": "200.00"},
        ]
    )

    statement = parse_statement(data, "alipay", tz=SHANGHAI)

    assert statement.credit_rows == [
        AlipayCreditRow(
            line=FIRST_ROW_LINE + 1,
            occurred_at=at(8, 0, 5),
            amount=Decimal("1025.30"),
            kind="repayment",
            order_no="20250310200040011100990012345678",
            description="借呗还款",
            counterparty="借呗",
        ),
        AlipayCreditRow(
            line=FIRST_ROW_LINE + 2,
            occurred_at=at(14, 20, day=11),
            amount=Decimal("50000.00"),
            kind="draw_confirmation",
            order_no="20250311200040011100990087654321",
            description="借呗放款至余额宝",
            counterparty="借呗",
        ),
        AlipayCreditRow(
            line=FIRST_ROW_LINE + 3,
            occurred_at=at(7, 59, 59, month=4),
            amount=Decimal("899.75"),
            kind="repayment",
            order_no="2025031022001000000000000004",
            description="借呗提前还款-本金",
            counterparty="借呗",
        ),
    ]
    assert statement.skipped == {"餐饮美食": 1, "转账红包": 1}
    assert statement.announced_records == 5


def test_an_alipay_time_is_read_in_the_facility_time_zone() -> None:
    """交易时间 has no offset; the same text means another instant for a facility elsewhere."""
    data = build_alipay_export([JIEBEI_REPAYMENT])

    (row,) = parse_statement(data, "alipay", tz=ZoneInfo("Europe/London")).credit_rows

    assert row.occurred_at == datetime(2025, 3, 10, 8, 0, 5, tzinfo=UTC)


def test_a_received_credit_row_is_a_draw_confirmation() -> None:
    """收入 alone classifies a 信用借还 row whose description says nothing."""
    data = build_alipay_export([{**JIEBEI_DRAW, "收/支": "收入", "商品说明": "借呗"}])

    (row,) = parse_statement(data, "alipay", tz=SHANGHAI).credit_rows

    assert row.kind == "draw_confirmation"


def test_the_header_is_found_by_its_content_not_its_line_number() -> None:
    """A longer preamble moves the header; row line numbers follow the real file lines."""
    data = b"extra line\r\n\n" + build_alipay_export([JIEBEI_REPAYMENT])

    (row,) = parse_statement(data, "auto", tz=SHANGHAI).credit_rows

    assert row.line == FIRST_ROW_LINE + 2


def test_trailer_lines_end_the_records() -> None:
    """A dashed line and a summary after the rows, as older exports have, are not rows."""
    trailer = "-" * 84 + "\n共1笔记录\n已收入:0笔,0.00元\n导出时间:[2025-03-11 09:00:00]\n"
    data = build_alipay_export([JIEBEI_REPAYMENT]) + trailer.encode("gbk")

    statement = parse_statement(data, "alipay", tz=SHANGHAI)

    assert [row.order_no for row in statement.credit_rows] == [JIEBEI_REPAYMENT["交易订单号"]]


def test_a_transaction_after_the_trailer_is_refused() -> None:
    """Rows after the end of the records mean a spliced file, not a trailer to ignore."""
    late_row = build_alipay_export([JIEBEI_DRAW]).splitlines(keepends=True)[-1]
    data = build_alipay_export([JIEBEI_REPAYMENT]) + b"-" * 84 + b"\n" + late_row

    message = error_of(data)

    assert message.startswith(f"line {FIRST_ROW_LINE + 2}: a transaction after the end")


@pytest.mark.parametrize(
    ("change", "expected"),
    [
        ({"交易状态": "交易关闭"}, '交易状态 "交易关闭"'),
        ({"交易状态": "还款失败"}, '交易状态 "还款失败"'),
        ({"收/支": "不计收支", "商品说明": "借呗"}, "cannot tell whether"),
        ({"收/支": "收入", "商品说明": "借呗还款"}, 'is 收/支 "收入" but 商品说明 "借呗还款"'),
        ({"交易订单号": ""}, "without a 交易订单号"),
        ({"金额": "0.00"}, '金额 "0.00" is zero'),
        ({"金额": "-1025.30"}, "is negative"),
        ({"交易时间": "2025-03-10"}, '交易时间 "2025-03-10" has no time of day'),
    ],
)
def test_a_credit_row_that_cannot_be_imported_is_refused(
    change: dict[str, str], expected: str
) -> None:
    """A failed, unclassifiable or incomplete 信用借还 row refuses the file at its line."""
    data = build_alipay_export([{"交易分类": "日用百货"}, {**JIEBEI_REPAYMENT, **change}])

    message = error_of(data, "alipay")

    assert message.startswith(f"line {FIRST_ROW_LINE + 1}: ")
    assert expected in message


def test_the_same_order_number_twice_is_refused() -> None:
    """An idempotency key that repeats inside one file names both lines."""
    data = build_alipay_export([JIEBEI_REPAYMENT, {**JIEBEI_REPAYMENT, "金额": "1.00"}])

    message = error_of(data, "alipay")

    assert message.startswith(f"line {FIRST_ROW_LINE + 1}: ")
    assert f"already appears on line {FIRST_ROW_LINE}" in message


def test_an_alipay_header_without_an_order_number_column_is_refused_naming_it() -> None:
    """Without 交易订单号 nothing can be imported idempotently."""
    data = build_alipay_export([JIEBEI_REPAYMENT]).replace("交易订单号".encode("gbk"), b"x", 1)

    message = error_of(data, "alipay")

    assert message.startswith(f"line {HEADER_LINE}: the Alipay header has no 交易订单号 column")


def test_a_file_without_an_alipay_header_is_refused_as_an_alipay_export() -> None:
    """A bills CSV passed as --format alipay says which header it looked for."""
    message = error_of(b"due_date,amount\n2025-02-10,899.75\n", "alipay")

    assert "no Alipay header row" in message


def test_an_alipay_export_saved_again_as_utf8_still_parses() -> None:
    """Excel's "CSV UTF-8" re-save (BOM) or a plain UTF-8 copy reads like the original."""
    original = build_alipay_export([JIEBEI_REPAYMENT, JIEBEI_DRAW])
    text = original.decode("gbk")
    expected = parse_statement(original, tz=SHANGHAI)

    assert parse_statement(b"\xef\xbb\xbf" + text.encode(), tz=SHANGHAI) == expected
    assert parse_statement(text.encode(), tz=SHANGHAI) == expected


# --- bills CSV ------------------------------------------------------------------------------


def test_a_utf8_bills_csv_gives_one_bill_per_row() -> None:
    """Every column of the documented layout is read; blank lines still count as lines."""
    data = (
        "due_date,amount,paid,observed_at,reference\n"
        "2025-02-10,899.75,no,2025-01-31 09:00,JB202502\n"
        "\n"
        '2025-03-10,"1,200.00",yes,2025-03-01T01:30:00+00:00,\n'
        "2025/4/10,¥899.80,,,\n"
    ).encode()

    statement = parse_statement(data, "bills", tz=SHANGHAI)

    assert statement.format == "bills"
    assert statement.bills == [
        BillRow(2, date(2025, 2, 10), Decimal("899.75"), False, at(9, day=31, month=1), "JB202502"),
        BillRow(4, date(2025, 3, 10), Decimal("1200.00"), True, at(9, 30, day=1), None),
        BillRow(5, date(2025, 4, 10), Decimal("899.80"), False, None, None),
    ]
    assert statement.bills[1].observed_at.utcoffset() == timedelta(hours=8)


def test_a_gbk_bills_csv_with_chinese_headers_reads_like_the_english_one() -> None:
    """到期日, 金额（元）, 已还 and 观测时间 in an Excel-saved GBK file are the same columns."""
    data = '到期日,金额（元）,已还,观测时间\n2025-02-10,"1,200",是,2025/2/1 9:30\n'.encode("gbk")

    statement = parse_statement(data, "bills", tz=SHANGHAI)

    assert statement.bills == [
        BillRow(2, date(2025, 2, 10), Decimal("1200.00"), True, at(9, 30, day=1, month=2), None)
    ]


@pytest.mark.parametrize(
    ("paid", "expected"),
    [("yes", True), ("TRUE", True), ("1", True), ("是", True), ("No", False), ("否", False)],
)
def test_paid_accepts_the_usual_yes_and_no_words(paid: str, expected: bool) -> None:
    """yes/no, true/false, 1/0 and 是/否 all say whether a bill was paid."""
    data = f"due_date,amount,paid\n2025-02-10,1.00,{paid}\n".encode()

    (bill,) = parse_statement(data, "bills", tz=SHANGHAI).bills

    assert bill.paid is expected


@pytest.mark.parametrize(
    ("row", "expected"),
    [
        ("2025-02-30,1.00,no", 'line 3: due_date "2025-02-30" is not a date'),
        ("2025-02-10,abc,no", 'line 3: amount "abc" is not an amount'),
        ("2025-02-10,0,no", 'line 3: amount "0" is zero'),
        ("2025-02-10,1.005,no", 'line 3: amount "1.005" has more than two decimals'),
        ("2025-02-10,1.00,maybe", 'line 3: paid "maybe" is not yes or no'),
        (",1.00,no", "line 3: due_date is empty"),
        ("2025-02-10,,no", "line 3: amount is empty"),
        ("2025-02-10,1.00,no,extra", 'line 3: "extra" in column 4'),
        ("0001-01-01,100,no", "line 3: due_date 0001-01-01 is outside the dates loanwatch keeps"),
        ("2101-01-10,100,no", "line 3: due_date 2101-01-10 is outside"),
        ("٢٠٢٥/٢/١٠,100,no", 'line 3: due_date "٢٠٢٥/٢/١٠" is not a date'),
    ],
)
def test_a_bad_bill_row_refuses_the_file_at_its_line(row: str, expected: str) -> None:
    """Each wrong value is named with the line it sits on."""
    data = f"due_date,amount,paid\n2025-01-10,1.00,no\n{row}\n".encode()

    assert error_of(data, "bills").startswith(expected)


def test_a_bills_csv_without_an_amount_column_is_refused_naming_it() -> None:
    """The missing required column is named."""
    message = error_of(b"due_date,paid\n2025-02-10,no\n", "bills")

    assert message.startswith("line 1: the header has no amount column")


def test_a_misspelt_column_is_refused_rather_than_ignored() -> None:
    """A misspelt "payed" is not silently dropped, which would make every bill unpaid."""
    message = error_of(b"due_date,amount,payed\n2025-02-10,1.00,yes\n", "bills")

    assert message.startswith('line 1: unknown column "payed"; bills columns are due_date')


def test_a_bills_csv_without_a_header_row_is_refused() -> None:
    """Data on the first line is not taken as a header."""
    message = error_of(b"2025-02-10,899.75\n", "bills")

    assert message.startswith("line 1: no header row")


def test_a_bills_csv_with_a_bom_reads_like_one_without() -> None:
    """Excel's UTF-8 BOM does not become part of the first column name."""
    plain = "到期日,金额\n2025-02-10,899.75\n".encode()

    assert parse_statement(b"\xef\xbb\xbf" + plain, "bills", tz=SHANGHAI) == parse_statement(
        plain, "bills", tz=SHANGHAI
    )


def test_undecodable_bytes_in_a_gbk_bills_csv_are_refused_with_their_line() -> None:
    """A GBK file with a broken byte on line 3 is refused at line 3."""
    data = "到期日,金额\n2025-02-10,1.00\n".encode("gbk") + b"2025-03-10,\xff1.00\n"

    message = error_of(data, "bills")

    assert message.startswith("line 3: the bytes b'\\xff")


def test_a_damaged_utf8_bills_csv_is_not_read_as_gbk() -> None:
    """Valid UTF-8 Chinese before the fault means UTF-8: the fault is reported, not garbled."""
    data = "到期日,金额,参考号\n2025-02-10,1.00,借呗\n".encode() + b"2025-03-10,1.00,\xe5\x80\n"

    message = error_of(data, "bills")

    assert message.startswith("line 3: ")
    assert "UTF-8" in message


# --- limits CSV -----------------------------------------------------------------------------


def test_a_limits_csv_keeps_zero_readings_and_reads_statuses() -> None:
    """Zero limit and available are readings; status defaults to active."""
    data = (
        b"observed_at,limit,available,status\n"
        b"2025-03-10 09:00,100000,40000.50,\n"
        b"2025-03-10 10:00,0,0,frozen\n"
        b"2025-03-10 11:00,50000,,closed\n"
        b"2025-03-10 12:00,50000,60000,active\n"
    )

    statement = parse_statement(data, "limits", tz=SHANGHAI)

    assert statement.format == "limits"
    assert statement.limits == [
        LimitRow(2, at(9), Decimal("100000.00"), Decimal("40000.50"), "active"),
        LimitRow(3, at(10), Decimal("0.00"), Decimal("0.00"), "frozen"),
        LimitRow(4, at(11), Decimal("50000.00"), None, "closed"),
        # available above the limit is the limit_inconsistent check's business, not a parse error
        LimitRow(5, at(12), Decimal("50000.00"), Decimal("60000.00"), "active"),
    ]


def test_a_gbk_limits_csv_with_chinese_headers_and_statuses() -> None:
    """观测时间, 额度, 可用额度, 状态 and 正常/冻结/关闭 read as the English columns."""
    data = (
        "观测时间,额度,可用额度,状态\n"
        '2025-03-10 09:00,5万,"12,000",正常\n'
        "2025-03-10 10:00,0,0,冻结\n"
        "2025-03-10 11:00,0,,关闭\n"
    ).encode("gbk")

    statement = parse_statement(data, "limits", tz=SHANGHAI)

    assert statement.limits == [
        LimitRow(2, at(9), Decimal("50000.00"), Decimal("12000.00"), "active"),
        LimitRow(3, at(10), Decimal("0.00"), Decimal("0.00"), "frozen"),
        LimitRow(4, at(11), Decimal("0.00"), None, "closed"),
    ]


@pytest.mark.parametrize(
    ("row", "expected"),
    [
        (",100000,,", "line 2: observed_at is empty"),
        ("2025-03-10,100000,,", 'line 2: observed_at "2025-03-10" has no time of day'),
        ("yesterday 9:00,100000,,", 'line 2: observed_at "yesterday 9:00" is not a time'),
        ("0001-01-01 09:00,100000,,", "line 2: observed_at 0001-01-01T09:00:00 is outside"),
        ("2025-03-10 09:00,-5,,", 'line 2: limit "-5" is negative'),
        ("2025-03-10 09:00,100000,x,", 'line 2: available "x" is not an amount'),
        ("2025-03-10 09:00,100000,,paused", 'line 2: status "paused" is not a limit status'),
    ],
)
def test_a_bad_limit_row_refuses_the_file_at_its_line(row: str, expected: str) -> None:
    """Each wrong value is named with the line it sits on."""
    data = f"observed_at,limit,available,status\n{row}\n".encode()

    assert error_of(data, "limits").startswith(expected)


def test_a_bills_csv_passed_as_limits_is_refused_naming_the_columns() -> None:
    """The wrong --format is refused by the header, before any row is read."""
    message = error_of(b"due_date,amount\n2025-02-10,1.00\n", "limits")

    assert message.startswith('line 1: unknown column "due_date", "amount"; limits columns')


# --- auto and the file as a whole -----------------------------------------------------------


@pytest.mark.parametrize(
    ("data", "expected"),
    [
        pytest.param(FIXTURE.read_bytes(), "alipay", id="real-alipay-export"),
        pytest.param(build_alipay_export([JIEBEI_DRAW]), "alipay", id="built-alipay-export"),
        pytest.param(b"due_date,amount\n2025-02-10,1.00\n", "bills", id="bills-utf8"),
        pytest.param("到期日,金额\n2025-02-10,1.00\n".encode("gbk"), "bills", id="bills-gbk"),
        pytest.param(b"\nobserved_at,limit\n2025-03-10 09:00,0\n", "limits", id="limits-utf8"),
        pytest.param(
            "观测时间,额度\n2025-03-10 09:00,0\n".encode("gbk"), "limits", id="limits-gbk"
        ),
    ],
)
def test_auto_detects_the_format_from_the_header(data: bytes, expected: str) -> None:
    """Alipay by its header row anywhere; bills and limits by their first row."""
    assert parse_statement(data, tz=SHANGHAI).format == expected


def test_auto_refuses_a_file_it_cannot_place_and_lists_the_formats() -> None:
    """A CSV of something else is an InputError that says which formats exist."""
    with pytest.raises(InputError) as caught:
        parse_statement(b"name,email\nAlice,alice@example.com\n", tz=SHANGHAI)

    assert str(caught.value).startswith("line 1: cannot tell the format")
    assert "alipay, bills and limits" in str(caught.value)


@pytest.mark.parametrize("fmt", ["auto", "bills", "limits", "alipay"])
@pytest.mark.parametrize("data", [b"", b"\xef\xbb\xbf", b" \r\n\n"], ids=["empty", "bom", "blank"])
def test_an_empty_file_is_refused(data: bytes, fmt: str) -> None:
    """Nothing to import is said plainly whatever the format."""
    assert error_of(data, fmt) == "the file is empty"


def test_a_utf16_file_is_refused_with_how_to_save_it_instead() -> None:
    """Excel's "Unicode Text" is UTF-16; the message says which save option works."""
    message = error_of("到期日,金额\n2025-02-10,1.00\n".encode("utf-16"))

    assert message.startswith("the file is UTF-16 text")
    assert '"CSV UTF-8"' in message


def test_an_unknown_format_is_refused_listing_the_known_ones() -> None:
    """--format xlsx says which formats exist."""
    message = error_of(b"x", "xlsx")

    assert message == 'unknown format "xlsx"; formats are auto, bills, limits, alipay'


def test_a_statement_error_is_an_input_error_carrying_its_line() -> None:
    """The CLI shows it like any other input error; the line is also there as data."""
    with pytest.raises(InputError) as caught:
        parse_statement(b"due_date,amount\n\n2025-02-10,abc\n", tz=SHANGHAI)

    assert isinstance(caught.value, StatementError)
    assert caught.value.line == 3
