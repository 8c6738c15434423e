"""Chinese the letter and the usage records' CSV share: dates, the checks' names, and the
figures and moments an alert's facts state."""

import re
from datetime import date

_AMOUNT = re.compile(r"[^A-Za-z0-9\s]{0,3}-?[0-9][0-9,]*(\.[0-9]+)?")
_ISO_DAY = re.compile(r"[0-9]{4}-[0-9]{2}-[0-9]{2}")
CHECKS_ZH = {
    "bill_missing": "账单缺失",
    "bill_amount_mismatch": "账单金额与台账不符",
    "repayment_unseen": "还款未见入账",
    "repayment_unlogged": "平台显示的还款未见于台账",
    "repayment_mismatch": "还款金额与台账不符",
    "limit_below_owed": "授信额度低于未还本金",
    "bill_unexpected": "出现无法对应借款的账单",
    "bill_due_soon": "账单即将到期",
    "bill_overdue": "账单已逾期",
    "limit_dropped": "额度骤降",
    "limit_frozen": "额度被冻结或显示为零",
    "limit_inconsistent": "可用额度与实际用信不符",
    "data_stale": "平台数据长时间未更新",
    "draw_unconfirmed": "借款未见到账确认",
    "utilization_high": "额度使用率过高",
}


def zh_date(day: date) -> str:
    """2026年11月8日."""
    return f"{day.year}年{day.month}月{day.day}日"


def check_zh(check: str) -> str:
    """A check as a platform reads it in Chinese ("账单已逾期"); a general phrase for another."""
    return CHECKS_ZH.get(check, "记录与我司台账不符")


def is_amount(text: str | None) -> bool:
    """A figure as the alert states it ("¥0.00"), not a phrase ("not shown")."""
    return bool(text) and _AMOUNT.fullmatch(str(text)) is not None


def zh_moment(text: str | None) -> str:
    """A fact's moment in Chinese: "2026-11-30 08:00 (Asia/Shanghai)" → "2026年11月30日08:00",
    a date alone → "2026年11月30日"."""
    if not text or not _ISO_DAY.match(text):
        return ""
    day = zh_date(date.fromisoformat(text[:10]))
    clock = text[11:16]
    return f"{day}{clock}" if len(clock) == 5 and clock[2] == ":" else day
