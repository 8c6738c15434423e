"""Which language each outbox row is worded in: the facility's, else the channel's, else the
workspace's; a platform's row (email, webhook) is left to its transport."""

from decimal import Decimal

from bot.audit import Actor
from bot.languages import set_channel_language
from bot.ledger.facilities import FacilityTerms, add_facility
from bot.ledger.schedule import DayCount, RepaymentMethod
from jobs.outbox_languages import row_languages

DANA = Actor("cli:dana", "cli")


def add(session, now, slug: str, language: str | None = None) -> None:
    facility = add_facility(
        session,
        DANA,
        FacilityTerms(
            slug=slug,
            platform="jiebei",
            limit_amount=Decimal("200000.00"),
            daily_rate=Decimal("0.0004"),
            repayment_method=RepaymentMethod.EQUAL_INSTALLMENT,
            day_count=DayCount.THIRTY,
            alert_channel="C0ALERTS",
        ),
        now=now,
    )
    facility.language = language
    session.flush()


def test_each_row_speaks_its_facility_then_its_channel_then_the_workspace(session, now) -> None:
    add(session, now, "jb-1")
    add(session, now, "jb-zh", "zh-CN")
    set_channel_language(session, "C0CHINESE", "zh-CN", actor=DANA, now=now)
    storm = {"alerts": [{"facility": "jb-zh"}, {"facility": "jb-zh"}]}
    mixed = {"alerts": [{"facility": "jb-zh"}, {"facility": "jb-1"}]}
    rows = [
        (1, "C0ALERTS", {"facility": "jb-1"}),  # nothing chosen: the workspace's
        (2, "C0CHINESE", {"facility": "jb-1"}),  # the channel's
        (3, "C0ALERTS", {"facility": "jb-zh"}),  # the facility's, over its channel's
        (4, "C0ALERTS", storm),  # a storm on one facility: that facility's
        (5, "C0CHINESE", mixed),  # a storm across facilities: the channel's
        (6, "email:jiebei", {"facility": "jb-zh"}),  # a platform's: its transport chooses
        (7, None, {}),
    ]
    assert row_languages(session, rows, "en") == {
        1: "en",
        2: "zh-CN",
        3: "zh-CN",
        4: "zh-CN",
        5: "zh-CN",
        6: None,
        7: "en",
    }
