"""The letter to a platform about a ticket, in its language (zh or en): the summary of what
is wrong, the first message, the follow-up, the subject line.

The summary states the discrepancy as the ledger sees it: what it expects, what the platform
shows, since when, which draws. In Chinese it is business prose, not translated field names.
"""

from collections.abc import Mapping, Sequence
from datetime import date
from decimal import Decimal

from bot.money import format_money
from bot.tickets.records import (
    Discrepancy,
    MissingBill,
    OtherFinding,
    OverdueBill,
    UsageRecords,
    WrongAmount,
)
from bot.tickets.text.chinese import check_zh, is_amount, zh_date, zh_moment
from bot.tickets.words import Language


def _money(amount: Decimal, currency: str) -> str:
    return format_money(amount, currency)


def summary(records: UsageRecords, language: Language) -> str:
    """What is wrong, as the platform should read it; one paragraph per discrepancy."""
    if not records.discrepancies:
        if language == Language.ZH:
            return "请贵平台协助核查我司以下使用记录。"
        return "Please check our usage records below."
    say = _zh if language == Language.ZH else _en
    paragraphs, done = [], set()
    for found in records.discrepancies:
        if not isinstance(found, MissingBill):
            paragraphs.append(say(found, records.currency, records.end))
            continue
        if found.due_date in done:
            continue
        done.add(found.due_date)  # the platform issues one bill per due date
        same_day = [d for d in records.discrepancies if _missing_on(d, found.due_date)]
        if len(same_day) == 1:
            paragraphs.append(say(found, records.currency, records.end))
        else:
            paragraphs.append(_missing_bill(same_day, records.currency, records.end, language))
    return "\n".join(paragraphs)


def _missing_on(found: Discrepancy, due: date) -> bool:
    return isinstance(found, MissingBill) and found.due_date == due


def _missing_bill(
    draws: Sequence[Discrepancy], currency: str, today: date, language: Language
) -> str:
    """Installments of several draws due the same day: the one bill the platform should show,
    its total and the draws it covers."""
    missing = [d for d in draws if isinstance(d, MissingBill)]
    first, total = missing[0], sum((d.expected for d in missing), Decimal(0))
    since = min(d.since for d in missing)
    if language == Language.ZH:
        parts = "；".join(
            f"{zh_date(d.drawn_on)}借款{_money(d.draw_amount, currency)}（借款编号#{d.draw_id}）"
            f"应还{_money(d.expected, currency)}"
            for d in missing
        )
        return (
            f"贵平台账单缺失：按合同，贵平台应出具{zh_date(first.due_date)}到期的账单一期，"
            f"应还合计{_money(total, currency)}，涵盖以下{len(missing)}笔借款：{parts}。"
            f"该账单自{zh_date(since)}起即应可见，截至{zh_date(today)}贵平台仍未显示，"
            "烦请核查并补出账单。"
        )
    parts = "; ".join(
        f"#{d.draw_id} of {_money(d.draw_amount, currency)} drawn {d.drawn_on.isoformat()}: "
        f"{_money(d.expected, currency)}"
        for d in missing
    )
    return (
        f"Missing bill: under the contract a bill of {_money(total, currency)} in all falls due "
        f"on {first.due_date.isoformat()}, covering {len(missing)} draws ({parts}). It should "
        f"have been visible since {since.isoformat()}, and as of {today.isoformat()} your "
        "platform still shows no such bill. Please look into it and issue the bill."
    )


def _zh(found: Discrepancy, currency: str, today: date) -> str:
    if isinstance(found, MissingBill):
        return (
            f"贵平台账单缺失：我司于{zh_date(found.drawn_on)}借款"
            f"{_money(found.draw_amount, currency)}（借款编号#{found.draw_id}），按合同应于"
            f"{zh_date(found.due_date)}出账，应还金额{_money(found.expected, currency)}。"
            f"该账单自{zh_date(found.since)}起即应可见，截至{zh_date(today)}贵平台仍未显示，"
            "烦请核查并补出账单。"
        )
    if isinstance(found, WrongAmount):
        return (
            f"贵平台账单金额有误：{zh_date(found.bill_due)}的账单显示应还"
            f"{_money(found.billed, currency)}，而按我司台账，{zh_date(found.due_date)}应还"
            f"{_money(found.expected, currency)}，"
            f"相差{_money(found.billed - found.expected, currency)}。"
            f"此差异自{zh_date(found.since)}起存在，烦请核对更正。"
        )
    if isinstance(found, OverdueBill):
        return _zh_overdue(found, currency)
    assert isinstance(found, OtherFinding)
    what = check_zh(found.check)
    detail = _zh_detail(found.check, found.facts)
    return (
        f"我司自{zh_date(found.since)}起发现{what}" + (f"：{detail}" if detail else "")
        + "。详见随附使用记录，烦请贵平台核查并予以说明。"
    )  # fmt: skip


def _zh_detail(check: str, facts: Mapping[str, str]) -> str:
    """The alert's own figures in Chinese, for the checks a platform is asked about; nothing
    for the others (the English summary is not pasted into a Chinese letter)."""
    limits = ("limit_frozen", "limit_dropped", "limit_inconsistent")
    if check in limits and is_amount(facts.get("Limit shown")):
        when = zh_moment(facts.get("Reading taken"))
        shown = f"贵平台{when}显示我司授信额度为{facts['Limit shown']}"
        if is_amount(facts.get("Available shown")):  # not "not shown"
            shown += f"，可用额度{facts['Available shown']}"
        if facts.get("Status shown") == "frozen":
            shown += "，状态为冻结"
        if is_amount(facts.get("Expected limit")):
            shown += f"，而我司合同额度为{facts['Expected limit']}"
        return shown
    if check == "draw_unconfirmed" and "Amount" in facts:
        return (
            f"我司于{zh_moment(facts.get('Drawn on'))}申请借款{facts['Amount']}"
            f"（借款编号{facts.get('Draw', '')}），至今未见放款到账"
        )
    if check == "data_stale" and zh_moment(facts.get("Last seen")):
        return f"贵平台数据自{zh_moment(facts['Last seen'])}起未再更新"
    if check == "data_stale" and zh_moment(facts.get("Expected since")):
        return (
            f"自我司{zh_moment(facts['Expected since'])}开始记录以来，"
            "贵平台从未显示过任何账单、额度或放款数据"
        )
    return ""


def _zh_overdue(found: OverdueBill, currency: str) -> str:
    """The platform shows a bill unpaid past due: its figures and the ledger's, not an admission."""
    shown = (
        f"贵平台显示{zh_date(found.due_date)}到期的账单{_money(found.billed, currency)}尚未结清"
        + (f"，已逾期{found.days}天" if found.days else "")
    )
    if found.expected is None:
        ledger = "我司台账中该日并无应还款项"
    else:
        draws = "、".join(f"#{d}" for d in found.draw_ids)
        ledger = (
            f"按我司台账，该期应于{zh_date(found.due_date)}还款"
            f"{_money(found.expected, currency)}（借款编号{draws}）"
        )
    return f"{shown}。{ledger}。烦请贵平台核实该账单的还款状态及金额，如有误请予以更正。"


def _en(found: Discrepancy, currency: str, today: date) -> str:
    if isinstance(found, MissingBill):
        return (
            f"Missing bill: we drew {_money(found.draw_amount, currency)} on "
            f"{found.drawn_on.isoformat()} (draw #{found.draw_id}); under the contract a bill of "
            f"{_money(found.expected, currency)} falls due on {found.due_date.isoformat()}. It "
            f"should have been visible since {found.since.isoformat()}, and as of "
            f"{today.isoformat()} your platform still shows no such bill. Please look into it "
            "and issue the bill."
        )
    if isinstance(found, WrongAmount):
        return (
            f"Wrong bill amount: your bill due {found.bill_due.isoformat()} shows "
            f"{_money(found.billed, currency)}, while our ledger expects "
            f"{_money(found.expected, currency)} due {found.due_date.isoformat()}, a difference "
            f"of {_money(found.billed - found.expected, currency)}, since "
            f"{found.since.isoformat()}. Please check and correct it."
        )
    if isinstance(found, OverdueBill):
        return _en_overdue(found, currency)
    assert isinstance(found, OtherFinding)
    return (
        f"Since {found.since.isoformat()} we see {found.check.replace('_', ' ')}: "
        f"{found.summary}. Please look into it."
    )


def _en_overdue(found: OverdueBill, currency: str) -> str:
    shown = (
        f"Your platform shows the bill of {_money(found.billed, currency)} due "
        f"{found.due_date.isoformat()} as unpaid"
        + (f", {found.days} day{'s' if found.days > 1 else ''} overdue" if found.days else "")
    )
    if found.expected is None:
        ledger = "Our ledger has nothing due that day"
    else:
        draws = ", ".join(f"#{d}" for d in found.draw_ids)
        ledger = (
            f"Our ledger has {_money(found.expected, currency)} due that day "
            f"(draw{'s' if len(found.draw_ids) > 1 else ''} {draws})"
        )
    return f"{shown}. {ledger}. Please check the bill's repayment status and amount."


def message_subject(label: str, facility: str, subject: str) -> str:
    """`[T-3] jiebei-main: no bill for December` (an email's Subject, a webhook's title)."""
    return f"[{label}] {facility}: {subject}"


def first_message(
    label: str, subject: str, body: str | None, records: UsageRecords, language: Language
) -> str:
    """The first message to the platform (and the ready-to-paste text for a manual contact)."""
    if language == Language.ZH:
        lines = [
            "您好：",
            "",
            f"我司就以下问题提交工单（我方编号{label}）：{subject}",
            "",
            summary(records, language),
        ]
        if body:
            lines += ["", body]
        lines += [
            "",
            f"随附{zh_date(records.start)}至{zh_date(records.end)}的使用记录（CSV），"
            "请查收。如需更多材料，请随时告知。",
            "",
            "谢谢！",
        ]
        return "\n".join(lines)
    lines = ["Hello,", "", f"We are raising a case (our reference {label}): {subject}", ""]
    lines.append(summary(records, language))
    if body:
        lines += ["", body]
    lines += [
        "",
        f"Our usage records from {records.start.isoformat()} to {records.end.isoformat()} are "
        "attached as CSV. Please let us know if you need anything else.",
        "",
        "Thank you.",
    ]
    return "\n".join(lines)


def follow_up_message(label: str, subject: str, count: int, language: Language) -> str:
    """A polite follow-up to the platform after `count` reminders (1 = the first)."""
    if language == Language.ZH:
        return (
            f"您好：\n\n我司于前期提交的工单（我方编号{label}：{subject}）目前尚未收到回复。"
            f"这是我方第{count}次跟进，烦请贵平台尽快核查并回复处理进展。\n\n谢谢！"
        )
    return (
        f"Hello,\n\nWe have not yet heard back about our case {label} ({subject}). This is our "
        f"follow-up number {count}; we would be grateful for an update on its progress.\n\n"
        "Thank you."
    )
