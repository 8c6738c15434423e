"""Dates, times and amounts as a reader of the language in use writes them.

English keeps the forms loanwatch has always shown (`2026-12-10`, `2026-12-03 09:00 CST`);
Chinese finance teams write `12月10日（周四）` in chat and the year only where it matters
(`2026年12月10日（周四）`), and read a large limit also in 万 (`¥300,000.00（30万）`).

    day(date(2026, 12, 10), near=date(2026, 12, 7))   # zh: "12月10日（周四）"
    moment(at, zone)                                   # zh: "12月3日（周四）09:00"
    big_money(Decimal("300000"))                       # zh: "¥300,000.00（30万）"
    percent(Decimal("41.7"))                           # en: "41.7 %", zh: "41.7%"
"""

from datetime import date, datetime, timedelta, tzinfo
from decimal import Decimal

from bot.i18n import ZH, _, current
from bot.money import format_money

WEEKDAYS_ZH = ("周一", "周二", "周三", "周四", "周五", "周六", "周日")
BEIJING = timedelta(hours=8)  # the offset of every Chinese mainland time, all year
WAN = Decimal(10_000)
YI = Decimal(100_000_000)


def day(value: date, *, near: date | None = None) -> str:
    """A date: ISO in English; in Chinese `12月10日（周四）`, with the year unless `near` (today,
    or the date it is read beside) is in the same year."""
    if current() != ZH:
        return value.isoformat()
    short = f"{value.month}月{value.day}日（{WEEKDAYS_ZH[value.weekday()]}）"
    if near is not None and near.year == value.year:
        return short
    return f"{value.year}年{short}"


def moment(value: datetime | None, zone: tzinfo, *, near: date | None = None) -> str:
    """A moment in `zone`: `2026-12-03 09:00 CST`; in Chinese `12月3日（周四）09:00` (the year as
    in :func:`day`), Beijing time as a Chinese reader takes any time to be, and another zone's
    named: `12月1日（周二）06:00（GMT）`. None is "an unknown time"."""
    if value is None:
        return _("an unknown time")
    there = value.astimezone(zone)
    if current() != ZH:
        return f"{there:%Y-%m-%d %H:%M %Z}"
    said = f"{day(there.date(), near=near)}{there:%H:%M}"
    return said if there.utcoffset() == BEIJING else f"{said}（{there:%Z}）"


def money(value: Decimal, currency: str = "CNY") -> str:
    """An amount: `¥4,498.77` in both languages (bot.money.format_money)."""
    return format_money(value, currency)


def big_money(value: Decimal, currency: str = "CNY") -> str:
    """A limit or a total: in Chinese also in 万 (or 亿) when it is at least ten thousand yuan:
    `¥300,000.00（30万）`, `¥1,234,500.00（123.45万）`, `¥150,000,000.00（1.5亿）`."""
    written = format_money(value, currency)
    if current() != ZH or currency.upper() not in ("CNY", "RMB") or abs(value) < WAN:
        return written
    scaled, unit = (value / WAN).quantize(Decimal("0.01")), "万"
    if abs(scaled) >= WAN:  # 10000万 is 1亿 (after rounding: 99,999,999.99 is 1亿 too)
        scaled, unit = (value / YI).quantize(Decimal("0.01")), "亿"
    scaled = scaled.normalize()
    return f"{written}（{scaled:f}{unit}）"


def percent(value: Decimal | int) -> str:
    """A percentage: `41.7 %` in English (as loanwatch has always written it), `41.7%` in
    Chinese, which sets no space before the sign."""
    return f"{value}%" if current() == ZH else f"{value} %"


def labelled(label: object, value: object) -> str:
    """A label and its value, `Reason: paid`; in Chinese with the full-width colon, `原因：已还`."""
    return _("{label}: {value}").format(label=label, value=value)
