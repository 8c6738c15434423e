"""An escalation line's money at risk, kept worded with the step (`at_risk_worded`) and said
in the language of whoever reads the line: the Chinese channel's, the pseudo-locale's; the
English kept for the console and the audit record stays as it was."""

from datetime import timedelta

from sqlalchemy import select

from bot.alerts.checks import Check
from bot.alerts.findings import Severity
from bot.i18n import PSEUDO, ZH, use
from bot.models import OutboxMessage
from bot.oncall.words import ESCALATION_KIND, EscalationNotice, thread_line
from tests.oncall.test_escalation import OPENED, _open, _setup, _walk
from tests.support.pseudo import unmarked


def _first_step(session) -> EscalationNotice:
    facility_id = _setup(session, OPENED)
    _open(session, facility_id, Check.LIMIT_FROZEN, Severity.CRITICAL, OPENED, "a")
    _walk(session, OPENED, OPENED + timedelta(minutes=20))
    row = session.scalars(
        select(OutboxMessage).where(OutboxMessage.kind == ESCALATION_KIND).limit(1)
    ).one()
    return EscalationNotice.from_payload(row.payload)


def _line(notice: EscalationNotice) -> str:
    return thread_line(notice, lambda user: f"<@{user}>", lambda g: g, "@here")


def test_the_money_at_risk_is_said_in_the_readers_language(session) -> None:
    notice = _first_step(session)
    assert notice.at_risk is not None
    assert notice.at_risk.endswith("of undrawn limit")

    with use(ZH):
        chinese = _line(notice)
    with use(PSEUDO):
        pseudo = _line(notice)

    assert "未用额度 ¥" in chinese
    assert "undrawn" not in chinese
    assert "¥" in chinese
    assert unmarked([pseudo], {"U0ANN", "U0BEN"}) == []
    assert _line(notice).endswith(f" — {notice.at_risk}")


def test_a_step_kept_before_its_wording_says_its_risk_as_kept(session) -> None:
    notice = _first_step(session)
    kept = EscalationNotice.from_payload(notice.to_payload() | {"at_risk_worded": None})
    broken = EscalationNotice.from_payload(notice.to_payload() | {"at_risk_worded": {"x": 1}})

    with use(ZH):
        assert _line(kept).endswith(notice.at_risk or "?")
        assert _line(broken).endswith(notice.at_risk or "?")
