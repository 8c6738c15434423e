"""**Money arrived** on a `draw_unconfirmed` alert: confirm the draw, and resolve the alert.

One domain call for the button (`bot.slack.actions.alerts.money_arrived`): the draw is the
alert's subject (`d<id>`), confirmed through the ledger (`bot.ledger.confirmations`, audited),
and the alert resolves at once with the reason, rather than at the next run of the checks.
"""

from datetime import datetime

from sqlalchemy.orm import Session

from bot import audit
from bot.alerts.actions import resolve
from bot.alerts.checks import Check
from bot.alerts.policy import AlertPolicy, AlertState
from bot.alerts.resolve_reasons import MONEY_ARRIVED, reason
from bot.alerts.transition import get_alert
from bot.errors import InputError
from bot.i18n import _
from bot.ledger.confirmations import Confirmed, confirm_draw
from bot.models import Alert, Facility


def money_arrived(
    session: Session,
    actor: audit.Actor,
    alert_id: int,
    *,
    now: datetime,
    policy: AlertPolicy | None = None,
) -> Confirmed:
    """Confirm the draw a `draw_unconfirmed` alert is about, as of `now`, and resolve the alert.

    Refused for an alert of another check. An alert already resolved leaves the draw confirmed
    (or confirms it) and stays resolved.
    """
    alert = get_alert(session, alert_id)
    draw_id = _draw_of(alert)
    facility = session.get(Facility, alert.facility_id)
    if facility is None:
        raise InputError(
            _("alert {alert} is about no facility, so no draw to confirm").format(alert=alert_id)
        )
    confirmed = confirm_draw(session, actor, facility, draw_id, now=now)
    if alert.state != AlertState.RESOLVED:
        resolve(
            session,
            actor,
            alert_id,
            reason(MONEY_ARRIVED, draw=draw_id),
            now=now,
            policy=policy,
        )
    return confirmed


def _draw_of(alert: Alert) -> int:
    """The draw a `draw_unconfirmed` alert is about (its subject is `d<id>`)."""
    subject = alert.subject or ""
    digits = subject[1:]
    if alert.check != Check.DRAW_UNCONFIRMED or not (digits.isascii() and digits.isdigit()):
        raise InputError(
            _(
                "alert {alert} is not about an unconfirmed draw; only draw_unconfirmed alerts "
                "have a draw to confirm"
            ).format(alert=alert.id)
        )
    return int(digits)
