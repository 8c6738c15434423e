"""What people read when an action on an alert or a silence is refused: through the catalogs
(pseudo-locale), and in Chinese."""

from datetime import timedelta

import pytest

from bot.alerts.actions import acknowledge, list_alerts, resolve, snooze
from bot.alerts.silences import add_silence, remove_silence
from bot.errors import InputError, NotFoundError
from bot.i18n import PSEUDO, ZH, use
from tests.alerts.test_lifecycle import BOB, POLICY, firing, missing_bill  # noqa: F401
from tests.support.pseudo import unmarked


def refusals(session, alice, now, alert) -> list[str]:
    """Every refusal of an alert action and of a silence, as its reader gets it."""
    attempts = [
        lambda: snooze(session, alice, alert.id, now, now=now),
        lambda: snooze(session, alice, alert.id, now + timedelta(days=99), now=now),
        lambda: resolve(session, alice, alert.id, " ", now=now),
        lambda: list_alerts(session, "bogus"),
        lambda: acknowledge(session, BOB, 424242, now=now, policy=POLICY),
        lambda: add_silence(session, alice, duration=timedelta(hours=1), reason="维护", now=now),
        lambda: add_silence(
            session, alice, check="bogus", duration=timedelta(hours=1), reason="维护", now=now
        ),
        lambda: add_silence(
            session, alice, everything=True, duration=timedelta(0), reason="维护", now=now
        ),
        lambda: add_silence(
            session, alice, everything=True, duration=timedelta(days=99), reason="维护", now=now
        ),
        lambda: add_silence(
            session, alice, everything=True, duration=timedelta(hours=1), reason=" ", now=now
        ),
        lambda: add_silence(
            session, alice, facility_id=424242, duration=timedelta(hours=1), reason="维护", now=now
        ),
        lambda: remove_silence(session, alice, 424242, now=now),
    ]
    said = []
    for attempt in attempts:
        with pytest.raises((InputError, NotFoundError)) as refused:
            attempt()
        said.append(str(refused.value))
    resolve(session, alice, alert.id, "已还款", now=now)
    with pytest.raises(InputError) as refused:
        acknowledge(session, BOB, alert.id, now=now, policy=POLICY)
    return [*said, str(refused.value)]


def test_every_refusal_goes_through_the_catalogs(session, alice, now, firing) -> None:  # noqa: F811
    with use(PSEUDO):
        said = refusals(session, alice, now, firing)
    # What was typed ("bogus") and the names of the choices are data.
    data = {"bogus", "open", "acknowledged", "resolved", "all", "alice"} | {
        "bill_missing",
        "bill_amount_mismatch",
        "bill_unexpected",
        "bill_due_soon",
        "bill_overdue",
        "repayment_unseen",
        "repayment_unlogged",
        "limit_dropped",
        "limit_frozen",
        "limit_inconsistent",
        "limit_below_owed",
        "data_stale",
        "draw_unconfirmed",
        "utilization_high",
        "repayment_mismatch",
        "platform_unavailable",
        "cli",
        "loanwatch",
    }
    assert unmarked(said, allowed=data) == []


def test_a_chinese_reader_is_told_in_chinese(session, alice, now, firing) -> None:  # noqa: F811
    with use(ZH):
        said = refusals(session, alice, now, firing)
    assert said[0] == "暂缓的截止时间须在将来，例如 `loanwatch alert snooze 12 4h`"
    assert said[5].startswith("请指定静默对象，三选一")
    assert said[-1].startswith(f"告警 {firing.id} 已由 cli:alice 于 ")
    assert said[-1].endswith(" 解决（已还款）")
