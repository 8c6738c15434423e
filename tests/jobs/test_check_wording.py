"""What each check found, said again in its reader's language from how it was worded.

The checks keep their English (`alerts.summary`, `alerts.facts`: the API, exports and tickets
read it) and beside it the wording (`alerts.wording`): message ids with typed arguments. Every
check fires in one portfolio (tests/jobs/test_checks.py's, plus a frozen line): its kept
wording says exactly the kept English, real Chinese in zh, and nothing past the catalogs under
the pseudo-locale.
"""

import json
import re
from datetime import UTC, date, datetime, timedelta
from decimal import Decimal

import pytest
from sqlalchemy import select

from bot.alerts.checks import Check
from bot.alerts.detection import apply_findings
from bot.alerts.findings import Finding, wording_json
from bot.alerts.notices import AlertNotice, GroupedAlert, GroupNotice
from bot.alerts.policy import AlertPolicy
from bot.alerts.risk_words import PAID_IN_LEDGER, RiskKind, at_risk_fact_text
from bot.alerts.said import (
    at_risk_of,
    check_name,
    facts_of,
    severity_name,
    state_name,
    summary_of,
)
from bot.calendar import BusinessCalendar
from bot.dashboard import dashboard
from bot.holidays import missing_holidays_note
from bot.i18n import EN, PSEUDO, ZH, use
from bot.i18n.wording import Money, Wording
from bot.i18n.wording import english as english_of
from bot.ledger.observations import LimitStatus
from bot.models import Alert, AuditRecord, OutboxMessage
from bot.slack.events.home import home_view
from jobs.checks import CHECKS, run_checks
from jobs.cycle import holidays_note, tell_failed_checks
from tests.jobs.test_checks import DEFAULTS, _one_facility, at, check, reading
from tests.ledger.cast import jiebei_line
from tests.support.pseudo import unmarked

NOW = at("2026-12-05 09:00")


def D(day: int) -> date:  # noqa: N802 (a day of December 2026)
    return date(2026, 12, day)


# Data, not English to translate: the facilities' slugs, the zone English times name.
DATA_WORDS = {"line-001", "jb-2", "Asia", "Shanghai"}
CJK = re.compile(r"[\u4e00-\u9fff]")

# A few words a Chinese treasurer reads in each check's summary.
ZH_PHRASES = {
    "bill_missing": "尚未见到账单",
    "bill_amount_mismatch": "台账应还",
    "bill_unexpected": "对不上任何一期",
    "bill_due_soon": "尚未还款",
    "bill_overdue": "已逾期",
    "repayment_unseen": "显示未还",
    "repayment_unlogged": "请登记",
    "repayment_mismatch": "台账无法解释",
    "limit_dropped": "额度降至",
    "limit_frozen": "已冻结",
    "limit_inconsistent": "平台显示可用额度",
    "limit_below_owed": "已低于未还本金",
    "data_stale": "个工作小时更新一次",
    "draw_unconfirmed": "仍未确认到账",
    "utilization_high": "剩余",
    "platform_unavailable": "无法查看平台",
}


@pytest.fixture
def findings(session, alice) -> list[Finding]:
    """Every check's findings at 2026-12-05 09:00: line-001 fires all but limit_frozen, jb-2
    is frozen."""
    _one_facility(session, alice, 1)
    frozen = jiebei_line(session, alice, at("2026-11-01 09:00"), slug="jb-2")
    reading(session, alice, frozen, at("2026-12-05 08:00"), "200000.00", "0.00", LimitStatus.FROZEN)
    found = run_checks(session, NOW, DEFAULTS, BusinessCalendar())
    assert {f.check for f in found} == set(CHECKS)
    return found


def kept(finding: Finding) -> dict:
    """The wording as `alerts.wording` keeps it, through JSON."""
    stored = wording_json(finding, NOW.year)
    assert stored is not None, f"{finding.check} keeps no wording"
    return json.loads(json.dumps(stored))


def said(finding: Finding) -> list[str]:
    wording = kept(finding)
    facts = facts_of(finding.facts, wording)
    return [summary_of(finding.summary, wording), *facts, *facts.values()]


def test_the_kept_wording_says_exactly_the_kept_english(findings) -> None:
    for finding in findings:
        wording = Wording.from_json(kept(finding))
        assert wording.english_summary() == finding.summary, finding.check
        assert wording.english_facts() == finding.facts, finding.check
        with use(EN):
            assert summary_of(finding.summary, kept(finding)) == finding.summary
            assert facts_of(finding.facts, kept(finding)) == finding.facts
            assert check_name(finding.check) == finding.check


def test_every_check_says_its_finding_in_chinese(findings) -> None:
    seen = set()
    with use(ZH):
        for finding in findings:
            summary, *rest = said(finding)
            assert ZH_PHRASES[finding.check] in summary, summary
            assert "{" not in summary
            assert summary != finding.summary
            labels = list(facts_of(finding.facts, kept(finding)))
            assert len(labels) == len(finding.facts), labels
            assert all(CJK.search(label) for label in labels), labels
            assert unmarked([summary, *rest], allowed=DATA_WORDS) == [], finding.check
            seen.add(finding.check)
    assert seen == set(ZH_PHRASES)


def test_no_check_says_english_past_the_catalogs(findings) -> None:
    with use(PSEUDO):
        for finding in findings:
            assert unmarked(said(finding), allowed=DATA_WORDS) == [], finding.check
            assert unmarked([check_name(finding.check), severity_name(finding.severity)]) == []


def test_bill_missing_in_chinese_as_a_treasurer_reads_it(session, draw) -> None:
    [finding] = check(session, "bill_missing", at("2026-12-01 00:00"))
    with use(ZH):
        assert summary_of(finding.summary, kept(finding)) == (
            "预计12月10日（周四）到期应还 ¥899.75，尚未见到账单；提前 10 天出账，宽限 24 小时"
        )
        facts = facts_of(finding.facts, kept(finding))
    assert facts["应出账时间"] == "12月1日（周二）00:00"
    assert facts["到期日"] == "12月10日（周四）"
    assert facts["匹配范围"] == "前后 3 天"


def test_a_date_of_another_year_says_its_year(session, draw) -> None:
    [finding] = check(session, "bill_missing", at("2026-12-01 00:00"))
    with use(ZH):
        summary = summary_of(finding.summary, wording_json(finding, 2025))
    assert "2026年12月10日（周四）" in summary


def test_an_alert_kept_without_its_wording_is_said_as_kept() -> None:
    with use(ZH):
        assert summary_of("expected ¥1.00 due 2026-12-10", None) == "expected ¥1.00 due 2026-12-10"
        assert facts_of({"Facility": "jb-2", "Odd label": "x"}, None) == {
            "授信额度": "jb-2",
            "Odd label": "x",
        }
        # A wording that cannot be read is no wording.
        assert summary_of("as kept", {"summary": {"money": "x"}}) == "as kept"


def test_names_of_checks_severities_and_states() -> None:
    headlines = (severity_name("critical", headline=True), severity_name("info", headline=True))
    assert (check_name("bill_missing"), *headlines) == ("bill_missing", "CRITICAL", "Warning")
    # In a sentence, the same table's words as they are (one without words as kept).
    assert [severity_name(s) for s in ("critical", "warning", "info", "odd")] == [
        "critical",
        "warning",
        "info",
        "odd",
    ]
    with use(ZH):
        assert [check_name(c) for c in ("bill_missing", "limit_below_owed", "owner_gone")] == [
            "账单缺失",
            "额度低于未还本金",
            "负责人已离开",
        ]
        assert (severity_name("critical"), severity_name("warning")) == ("严重", "警告")
        assert severity_name("critical", headline=True) == "严重"
        assert severity_name("warning", headline=True) == "警告"
        assert [state_name(s) for s in ("open", "acknowledged", "snoozed", "resolved")] == [
            "未处理",
            "已确认",
            "已暂缓",
            "已解决",
        ]
        assert check_name("not_a_check") == "not_a_check"


def test_an_alert_keeps_its_wording_and_its_notice_carries_it(session, findings) -> None:
    apply_findings(session, findings, now=NOW, policy=AlertPolicy(default_channel="C0FINOPS"))
    alerts = session.scalars(select(Alert)).all()
    assert alerts
    assert all(alert.wording for alert in alerts)
    for alert in alerts:
        assert Wording.from_json(alert.wording).english_summary() == alert.summary
    payloads = [row.payload for row in session.scalars(select(OutboxMessage))]
    assert payloads
    for payload in payloads:
        if "alerts" in payload:
            rows = GroupNotice.from_payload(payload).alerts
            assert all(row.wording for row in rows)
        else:
            assert AlertNotice.from_payload(payload).wording == payload["wording"]
    # Found again as worded: nothing changed, nothing is updated.
    session.commit()
    apply_findings(
        session, findings, now=NOW + timedelta(hours=1), policy=AlertPolicy(default_channel="C0")
    )
    assert not session.scalars(
        select(AuditRecord).where(AuditRecord.action == "alert.update")
    ).all()
    risks = [p for p in payloads if p.get("at_risk")]
    assert risks
    for payload in risks:
        notice = AlertNotice.from_payload(payload)
        assert notice.at_risk_wording is not None
        assert at_risk_of(notice.at_risk, notice.at_risk_wording) == notice.at_risk
        with use(ZH):
            said_zh = at_risk_of(notice.at_risk, notice.at_risk_wording)
            assert CJK.search(said_zh or ""), said_zh
            assert unmarked([said_zh or ""], allowed=DATA_WORDS) == []
        with use(PSEUDO):
            assert unmarked([at_risk_of(notice.at_risk, notice.at_risk_wording) or ""]) == []


@pytest.mark.parametrize(
    ("due", "collected", "overdue", "fee", "paid", "english", "chinese"),
    [
        (
            D(10),
            D(10),
            False,
            None,
            None,
            "¥899.75 due 2026-12-10",
            "¥899.75，12月10日（周四）到期",
        ),
        (
            D(10),
            D(14),
            True,
            "2.70",
            None,
            "¥899.75 due 2026-12-10, collected 2026-12-14, overdue since 2026-12-15; late fee ≈ "
            "¥2.70/day",
            "¥899.75，12月10日（周四）到期，12月14日（周一）扣款，12月15日（周二）起逾期；罚息约 "
            "¥2.70/天",
        ),
        (
            D(10),
            D(10),
            False,
            None,
            PAID_IN_LEDGER,
            "¥899.75 due 2026-12-10, paid in the ledger",
            "¥899.75，12月10日（周四）到期，台账已记还款",
        ),
    ],
)
def test_the_money_at_risk_is_said_in_chinese(
    due, collected, overdue, fee, paid, english, chinese
) -> None:
    text = at_risk_fact_text(
        Money(Decimal("899.75")),
        RiskKind.DUE,
        due,
        collected,
        overdue,
        None if fee is None else Money(Decimal(fee)),
        paid,
    )
    stored = json.loads(json.dumps(Wording(text, (), 2026).to_json()))
    assert at_risk_of(english_of(text), stored) == english
    with use(ZH):
        assert at_risk_of(english, stored) == chinese
    with use(PSEUDO):
        assert unmarked([at_risk_of(english, stored) or ""]) == []


def test_a_notice_written_before_the_wording_still_reads() -> None:
    old = {"event": "alert.opened", "alert_id": 4, "check": "bill_missing", "summary": "s"}
    assert AlertNotice.from_payload(old).wording is None
    group = {"event": "alert.opened", "check": "bill_missing", "severity": "warning"}
    group["alerts"] = [{"alert_id": 4, "fingerprint": "f", "severity": "warning", "summary": "s"}]
    [row] = GroupNotice.from_payload(group).alerts
    assert row.wording is None
    payload = GroupNotice("alert.opened", "bill_missing", "warning", (row,)).to_payload()
    assert "wording" not in payload["alerts"][0]
    again = GroupedAlert(4, "f", None, None, "warning", "open", "s", {"summary": {"id": "s"}})
    assert GroupNotice.from_payload(
        GroupNotice("alert.opened", "bill_missing", "warning", (again,)).to_payload()
    ).alerts == (again,)


def test_admin_alerts_are_worded_too(session) -> None:
    now = datetime(2026, 12, 5, 1, 0, tzinfo=UTC)
    tell_failed_checks(session, {"bill_missing": "boom"}, set(), now=now, policy=AlertPolicy())
    alert = session.scalars(select(Alert).where(Alert.check == Check.CHECK_FAILED)).one()
    assert alert.summary.startswith("the check bill_missing raised an error")
    with use(ZH):
        assert summary_of(alert.summary, alert.wording) == (
            "检查 bill_missing 运行出错，未能给出结果；在它恢复正常运行前，其告警保持原状"
        )
        assert facts_of(alert.facts, alert.wording)["错误堆栈"].startswith("见运行该检查的")
    with use(PSEUDO):
        texts = [summary_of(alert.summary, alert.wording), *facts_of(alert.facts, alert.wording)]
        assert unmarked(texts, allowed={"bill_missing"}) == []


def test_the_holidays_note_is_worded_as_bot_holidays_writes_it() -> None:
    assert Wording.of(holidays_note(2027)).english_summary() == missing_holidays_note(2027)
    with use(ZH):
        assert "2027年的法定节假日" in Wording.of(holidays_note(2027)).said_summary()


def test_a_moment_in_utc_keeps_its_english() -> None:
    from bot.i18n.wording import Moment, english, from_json, say, to_json

    moment = Moment(datetime(2026, 12, 3, 1, 5, tzinfo=UTC), utc=True)
    assert english(moment) == "2026-12-03 01:05 UTC"
    assert from_json(json.loads(json.dumps(to_json(moment)))) == moment
    with use(ZH):
        assert say(moment, date(2026, 1, 1)) == "12月3日（周四）01:05（UTC）"


def test_money_arrived_on_another_alert_says_why_in_the_readers_language() -> None:
    from bot.alerts.money_arrived import _draw_of
    from bot.errors import InputError

    other = Alert(id=5, check="bill_missing", subject="2026-12-10#d3")
    with use(ZH), pytest.raises(InputError, match="只有“借款未确认到账”告警"):
        _draw_of(other)
    with use(PSEUDO), pytest.raises(InputError) as refused:
        _draw_of(other)
    assert unmarked([str(refused.value)]) == []


@pytest.mark.parametrize("answered", [False, True])
def test_a_missing_bill_its_owner_was_asked_about_in_chinese(answered) -> None:
    from types import SimpleNamespace

    from jobs.checks.bills.asked import Asked
    from jobs.checks.bills.expected import _missing_finding, _Visible

    terms = {"due_date": D(10), "critical_days": 3, "timezone": "Asia/Shanghai"}
    terms |= {"currency": "CNY", "slug": "jb-2", "lead": 10, "grace": 24, "window": 3}
    group = SimpleNamespace(facility_id=1, **terms)
    installment = SimpleNamespace(amount=Decimal("899.75"), draw_id=3)
    asked_at = datetime(2026, 12, 2, 1, 0, tzinfo=UTC)
    asked = Asked("U0DANA", asked_at, asked_at + timedelta(hours=2) if answered else None)
    visible = _Visible(installment, group, D(3), asked_at, D(10))
    finding = _missing_finding(visible, asked)

    assert Wording.from_json(kept(finding)).english_summary() == finding.summary
    with use(ZH):
        summary = summary_of(finding.summary, kept(finding))
        facts = facts_of(finding.facts, kept(finding))
    assert "已于12月2日（周三）09:00询问负责人 U0DANA" in summary
    assert facts["已询问负责人"] == "U0DANA，12月2日（周三）09:00"
    if answered:
        assert summary.endswith("12月2日（周三）11:00答复尚未出账")
    with use(PSEUDO):
        assert unmarked(said(finding), allowed=DATA_WORDS) == []


def test_a_dead_letter_is_worded() -> None:
    from types import SimpleNamespace

    from jobs.delivery_health import _dead_letter_words

    message = SimpleNamespace(id=7, kind="alert.opened", attempts=1, permanent=True)
    words = _dead_letter_words(message, "C0FINOPS", "channel_not_found")  # type: ignore[arg-type]
    assert words["summary"] == (
        "Outbox message 7 (alert.opened to C0FINOPS) was not delivered after 1 attempt: "
        "channel_not_found"
    )
    stored = words["wording"].in_year(2026).to_json()
    with use(ZH):
        assert summary_of(words["summary"], stored).startswith("发件箱消息 7（alert.opened，发往")
        assert facts_of(words["facts"], stored)["永久失败"] == "是"
    with use(PSEUDO):
        texts = [summary_of(words["summary"], stored), *facts_of(words["facts"], stored)]
        assert unmarked(texts, allowed={"alert", "opened", "channel_not_found"}) == []


def test_used_is_a_share_in_an_alerts_facts_and_an_amount_on_app_home(session, findings) -> None:
    """One English word, two meanings: the utilization alert's `Used` holds a percentage
    (使用率), App Home's the amount drawn (已用, pgettext's context "amount drawn")."""
    [high] = [f for f in findings if f.check == Check.UTILIZATION_HIGH]
    with use(ZH):
        facts = facts_of(high.facts, kept(high))
        home = json.dumps(home_view(dashboard(session, NOW), "12月5日"), ensure_ascii=False)
    assert facts["使用率"] == high.facts["Used"].replace(" %", "%")
    assert "已用" not in facts
    assert "*已用*\\n¥" in home
    assert "使用率" not in home
