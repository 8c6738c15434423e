"""GET /api/v1/facilities, /alerts and /installments, as a spreadsheet reads them."""

from datetime import date
from decimal import Decimal

from bot.ledger.draws import DrawRequest, record_draw
from bot.ledger.facilities import get_facility
from tests.api.conftest import DANA
from tests.slack.test_commands import open_alerts


def test_the_facilities_with_limit_outstanding_and_available(api, jiebei, sessions, clock) -> None:
    """Amounts are strings to the fen; outstanding follows the draws logged."""
    with sessions.begin() as session:
        facility = get_facility(session, "jiebei-main")
        record_draw(
            session,
            DANA,
            facility,
            DrawRequest(amount=Decimal("50000.00"), months=3),
            now=clock(),
        )
    answer = api.reader.get("/api/v1/facilities")
    assert answer.status == 200
    [line] = answer.body
    assert (line["slug"], line["platform"], line["currency"]) == ("jiebei-main", "jiebei", "CNY")
    assert (line["limit"], line["outstanding"], line["available"]) == (
        "200000.00",
        "50000.00",
        "150000.00",
    )


def test_the_open_alerts(api, jiebei, sessions, clock) -> None:
    """state=open lists the alerts not resolved, with their facility's slug."""
    open_alerts(sessions, jiebei.id, clock(), "2026-12-10", "2027-01-10")
    answer = api.reader.get("/api/v1/alerts?state=open")
    assert answer.status == 200
    assert answer.body["next"] is None
    assert {(a["check"], a["facility"], a["subject"]) for a in answer.body["items"]} == {
        ("bill_missing", "jiebei-main", "2026-12-10"),
        ("bill_missing", "jiebei-main", "2027-01-10"),
    }
    assert api.reader.get("/api/v1/alerts?state=resolved").body == {"items": [], "next": None}
    assert api.reader.get("/api/v1/alerts?state=sleeping").status == 422


def test_the_installments_due_between_two_dates(api, jiebei, sessions, clock) -> None:
    """from and to are both included; a range the wrong way round is refused."""
    with sessions.begin() as session:
        facility = get_facility(session, "jiebei-main")
        draw = record_draw(
            session,
            DANA,
            facility,
            DrawRequest(amount=Decimal("10000.00"), months=12),
            now=clock(),
        )
        dues = sorted(i.due_date for i in draw.installments)
    answer = api.reader.get(f"/api/v1/installments?from={dues[1]}&to={dues[3]}")
    assert answer.status == 200, answer.body
    items = answer.body["items"]
    assert [date.fromisoformat(i["due_date"]) for i in items] == dues[1:4]
    assert all(i["draw"] == draw.id and i["facility"] == "jiebei-main" for i in items)
    assert items[0]["amount"].count(".") == 1
    assert answer.body["next"] is None
    backwards = api.reader.get(f"/api/v1/installments?from={dues[3]}&to={dues[1]}")
    assert backwards.status == 422
    assert api.reader.get("/api/v1/installments?from=2026-12-01").status == 422


def test_installments_take_at_most_366_days_both_ends_counted(api) -> None:
    """2026-01-01 to 2027-01-01 is 366 days; to 2027-01-02 is 367: refused, naming `to`."""
    assert api.reader.get("/api/v1/installments?from=2026-01-01&to=2027-01-01").status == 200
    answer = api.reader.get("/api/v1/installments?from=2026-01-01&to=2027-01-02")
    assert answer.status == 422, answer.body
    assert answer.body["problems"][0]["field"] == "to"
    assert "at most 366 days" in answer.body["problems"][0]["reason"]


def test_installments_take_dates_not_times(api) -> None:
    answer = api.reader.get("/api/v1/installments?from=2026-12-01T00:00:00&to=2026-12-31")
    assert answer.status == 422, answer.body
    assert answer.body["problems"][0]["field"] == "query.from"
    assert "YYYY-MM-DD" in answer.body["problems"][0]["reason"]


def test_alerts_come_newest_first_a_page_at_a_time_each_saying_where_the_next_begins(
    api, jiebei, sessions, clock
) -> None:
    """Five alerts, two a page: the newest first, then a `next` link to follow until it is
    null; nothing is cut short without saying so, and nothing comes twice."""
    subjects = ["2026-12-10", "2027-01-10", "2027-02-10", "2027-03-10", "2027-04-10"]
    opened = open_alerts(sessions, jiebei.id, clock(), *subjects)
    assert opened == sorted(opened)  # opened in that order
    seen, pages = [], []
    path = "/api/v1/alerts?state=open&limit=2"
    while path is not None:
        answer = api.reader.get(path)
        assert answer.status == 200, answer.body
        pages.append(len(answer.body["items"]))
        seen += [a["subject"] for a in answer.body["items"]]
        path = answer.body["next"]
    assert pages == [2, 2, 1]
    assert seen == subjects[::-1]


def test_installments_a_page_at_a_time(api, jiebei, sessions, clock) -> None:
    with sessions.begin() as session:
        facility = get_facility(session, "jiebei-main")
        for amount in ("10000.00", "20000.00"):
            record_draw(
                session, DANA, facility, DrawRequest(amount=Decimal(amount), months=6), now=clock()
            )
    everything, pages = [], []
    path = "/api/v1/installments?from=2026-12-01&to=2027-11-30&limit=5"
    while path is not None:
        answer = api.reader.get(path)
        assert answer.status == 200, answer.body
        assert answer.body["next"] is None or "from=2026-12-01" in answer.body["next"]
        pages.append(len(answer.body["items"]))
        everything += answer.body["items"]
        path = answer.body["next"]
    assert pages == [5, 5, 2]
    assert len(everything) == 12
    assert len({(i["draw"], i["sequence"]) for i in everything}) == 12
    dues = [i["due_date"] for i in everything]
    assert dues == sorted(dues)


def test_a_page_size_past_the_maximum_or_a_made_up_cursor_is_refused(api) -> None:
    too_many = api.reader.get("/api/v1/alerts?limit=5001")
    assert too_many.status == 422, too_many.body
    assert too_many.body["problems"][0]["field"] == "query.limit"
    made_up = api.reader.get("/api/v1/alerts?cursor=yesterday")
    assert made_up.status == 422, made_up.body
    assert made_up.body["problems"][0]["field"] == "cursor"


def test_a_query_parameter_given_twice_is_refused_not_read_as_its_last_value(api) -> None:
    answer = api.reader.get("/api/v1/installments?from=2026-12-01&to=2026-12-31&from=2020-01-01")
    assert answer.status == 422, answer.body
    [problem] = answer.body["problems"]
    assert problem["field"] == "query.from"
    assert "given twice" in problem["reason"]
    assert api.reader.get("/api/v1/alerts?state=open&state=all").status == 422
