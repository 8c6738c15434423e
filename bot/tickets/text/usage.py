"""The usage records' CSV (and a webhook's rows), in the platform's language (zh or en).

UTF-8 with a BOM, so Excel opens Chinese correctly; an alert's 说明 in a Chinese file is its
check in Chinese and its figures, not the English summary.
"""

import csv
import io
from collections.abc import Sequence
from decimal import Decimal

from bot.money import money_str
from bot.spreadsheets import safe_cell
from bot.tickets.records import RecordKind, UsageRecord, UsageRecords
from bot.tickets.text.chinese import check_zh, is_amount, zh_moment
from bot.tickets.words import Language

_COLUMNS = {
    Language.ZH: ("记录类型", "日期", "编号", "金额", "本金", "利息", "状态", "说明"),
    Language.EN: (
        "Record",
        "Date",
        "Reference",
        "Amount",
        "Principal",
        "Interest",
        "Status",
        "Detail",
    ),
}
_KINDS = {
    Language.ZH: {
        RecordKind.DRAW: "借款",
        RecordKind.INSTALLMENT: "应还计划",
        RecordKind.REPAYMENT: "还款",
        RecordKind.BILL: "平台账单",
        RecordKind.LIMIT: "额度读数",
        RecordKind.ALERT: "预警",
    },
    Language.EN: {
        RecordKind.DRAW: "draw",
        RecordKind.INSTALLMENT: "installment",
        RecordKind.REPAYMENT: "repayment",
        RecordKind.BILL: "platform bill",
        RecordKind.LIMIT: "limit reading",
        RecordKind.ALERT: "alert",
    },
}
_STATUS_ZH = {
    "scheduled": "待还",
    "paid": "已还",
    "unpaid": "未还",
    "active": "正常",
    "frozen": "冻结",
    "closed": "关闭",
    "open": "未解决",
    "acknowledged": "处理中",
    "resolved": "已解决",
    "equal-installment": "等额本息",
    "equal-principal": "等额本金",
    "interest-first": "先息后本",
    "bullet": "到期一次还本付息",
    "quarterly-interest": "按季付息",
}
# An alert's facts in the CSV's 说明 column: the figures only (amounts, dates, counts).
_FACTS_ZH = {
    "Bill due date": "账单到期日",
    "Due date": "应还日",
    "Billed": "账单金额",
    "Expected": "台账应还",
    "Difference": "差额",
    "Bill expected since": "应出账日",
    "Draw": "借款编号",
    "Drawn on": "借款日",
    "Amount": "金额",
    "Limit shown": "显示额度",
    "Available shown": "显示可用额度",
    "Reading taken": "读数时间",
    "Last seen": "最后一次数据",
    "Paid on": "还款日",
    "Repayment": "还款",
    "Limit": "额度",
    "Used": "已用",
}


def records_csv(records: UsageRecords, language: Language) -> bytes:
    """The usage records as CSV bytes: UTF-8 with a BOM, a header row in the platform's language."""
    return csv_bytes(_COLUMNS[language], record_rows(records.records, language))


def csv_bytes(columns: Sequence[str], rows: Sequence[Sequence[str]]) -> bytes:
    """A header row and rows as CSV: UTF-8 with a BOM, CRLF line ends (the email's attachment
    is written from an outbox row's `columns` and `rows` with this, so it is the same file)."""
    out = io.StringIO()
    writer = csv.writer(out, lineterminator="\r\n")
    writer.writerow(columns)
    writer.writerows([safe_cell(cell) for cell in row] for row in rows)  # opened in Excel
    return out.getvalue().encode("utf-8-sig")


def record_rows(records: Sequence[UsageRecord], language: Language) -> list[list[str]]:
    """The rows of the CSV (and of a webhook's JSON), each value a string."""

    def plain(amount: Decimal | None) -> str:
        return "" if amount is None else money_str(amount)

    def status(value: str) -> str:
        return _STATUS_ZH.get(value, value) if language == Language.ZH else value

    return [
        [
            _KINDS[language][r.kind],
            r.on.isoformat(),
            r.reference,
            plain(r.amount),
            plain(r.principal),
            plain(r.interest),
            status(r.status),
            _detail(r, language),
        ]
        for r in records
    ]


def record_columns(language: Language) -> list[str]:
    """The CSV's header row."""
    return list(_COLUMNS[language])


def _detail(record: UsageRecord, language: Language) -> str:
    if record.kind == RecordKind.DRAW:
        return f"{record.detail}期" if language == Language.ZH else f"{record.detail} months"
    if record.kind == RecordKind.LIMIT and record.detail:
        return f"可用{record.detail}" if language == Language.ZH else f"available {record.detail}"
    if record.kind == RecordKind.ALERT and language == Language.ZH:
        return _zh_alert(record.check, record.facts)
    return record.detail


def _zh_alert(check: str, facts: Sequence[tuple[str, str]]) -> str:
    """An alert in Chinese: its check and its figures ("账单已逾期：账单到期日2026年11月8日，…")."""
    figures = []
    for label, value in facts:
        if label == "Days overdue" and value.isdigit():
            figures.append(f"已逾期{value}天")
        if label not in _FACTS_ZH:
            continue
        if zh_moment(value):
            figures.append(f"{_FACTS_ZH[label]}{zh_moment(value)}")
        elif is_amount(value):
            figures.append(f"{_FACTS_ZH[label]}{value}")
    what = check_zh(check)
    return f"{what}：{'，'.join(figures)}" if figures else what
