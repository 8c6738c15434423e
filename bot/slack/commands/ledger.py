"""`/loan draw|repay|bill|limit|facility`: the ledger and what the platforms show."""

from bot.errors import InputError
from bot.ledger import facilities as facility_service
from bot.ledger.bills import remove_bill
from bot.ledger.confirmations import confirm_draw
from bot.ledger.draw_requests import DrawArgs
from bot.ledger.facilities import FacilityTerms, facility_zone, get_facility
from bot.ledger.observations import LimitStatus, record_bill, record_limit_reading
from bot.ledger.portfolio import Position, positions
from bot.ledger.repayments import PlacedAgain, breakdown, placed_again, record_repayment
from bot.ledger.repayments.payoff import payoff_quote
from bot.ledger.terms import describe_terms
from bot.money import format_money, take_amount
from bot.slack import draw_replies, parsing
from bot.slack.actions.values import row_id
from bot.slack.commands.invocation import Invocation
from bot.slack.context import Loanwatch, actor, refusal
from bot.slack.mrkdwn import escape
from bot.slack.reply import Reply
from bot.slack.roles import Role
from bot.slack.views.draw import open_draw_modal


def draw(lw: Loanwatch, call: Invocation) -> Reply | None:
    """`draw FACILITY AMOUNT TERM [note…]`, or a bare `draw` for the form."""
    if not call.words:
        with lw.reading() as session:
            slugs = [p.facility.slug for p in positions(session) if p.facility.active]
        if not slugs:
            raise InputError("there are no facilities yet; an admin adds one with `facility add`")
        open_draw_modal(
            lw,
            call.client,
            call.trigger_id,
            slugs,
            channel_id=call.channel_id,
            user_id=call.user_id,
        )
        return None
    if call.words[0].lower() == "confirm":
        return confirm(lw, call)
    if len(call.words) < 3:
        raise InputError("a draw needs the facility, the amount and the term")
    amount, after = take_amount(call.words, 1)
    months, after = parsing.take_term(call.words, after)
    args = DrawArgs(
        facility=call.words[0], amount=amount, months=months, note=call.rest(after) or None
    )
    return draw_replies.log_draw(lw, call.user_id, f"command:{call.trigger_id}", args)


def confirm(lw: Loanwatch, call: Invocation) -> Reply:
    """`draw confirm FACILITY DRAW_ID`: the draw's money arrived (now)."""
    words = call.words[1:]
    draw_id = row_id(words[1].removeprefix("#")) if len(words) == 2 else None
    if draw_id is None:
        raise InputError("say which draw arrived: the facility and the draw's number, e.g. 7")
    with lw.transaction() as session:
        facility = get_facility(session, words[0])
        result = confirm_draw(session, actor(call.user_id), facility, draw_id, now=lw.clock())
        draw = result.draw
        verb = "already confirmed" if result.already else "confirmed"
        return Reply(
            f"<@{call.user_id}> {verb} draw #{draw.id} on *{facility.slug}*: "
            f"{format_money(draw.amount, facility.currency)} arrived",
            in_channel=not result.already,
        )


def repay(lw: Loanwatch, call: Invocation) -> Reply:
    """`repay FACILITY AMOUNT [YYYY-MM-DD] [note…]`."""
    if len(call.words) < 2:
        raise InputError("a repayment needs the facility and the amount")
    amount, paid_on, note = parsing.amount_then_date(call.words[1:], date_what="payment date")
    with lw.transaction() as session:
        facility = get_facility(session, call.words[0], for_update=True)
        repayment = record_repayment(
            session,
            actor(call.user_id),
            facility,
            amount,
            now=lw.clock(),
            paid_on=paid_on,
            note=" ".join(note) or None,
            calendar=lw.calendar,
        )
        placed = breakdown(repayment)
        money = facility.currency
        penalty = (
            f" + penalty {format_money(placed.penalty, money)}"
            + (" (computed by loanwatch)" if placed.penalty_computed else "")
            if placed.penalty
            else ""
        )
        unexplained = (
            f"; {format_money(placed.unexplained, money)} is more than the ledger can explain, "
            "and a repayment_mismatch alert will ask about it"
            if placed.unexplained
            else ""
        )
        again = _placed_again_words(placed_again(session, repayment), money)
        return Reply(
            f"<@{call.user_id}> recorded repayment #{repayment.id} on *{facility.slug}*: "
            f"{format_money(repayment.amount, money)} on {repayment.paid_on.isoformat()} = "
            f"principal {format_money(placed.principal, money)} + interest "
            f"{format_money(placed.interest, money)}{penalty}{unexplained}{again}",
            in_channel=True,
        )


def _placed_again_words(later: list[PlacedAgain], currency: str) -> str:
    """`; dated before 1 later repayment, placed again in date order: #3 (2026-03-01) now
    carries penalty ¥16.61` (nothing when none is later)."""
    if not later:
        return ""
    each = "; ".join(
        f"#{row.id} ({row.paid_on.isoformat()}) "
        + (
            f"now carries penalty {format_money(row.penalty, currency)}"
            if row.penalty
            else "no penalty"
        )
        for row in later
    )
    count = len(later)
    return (
        f". Dated before {count} later repayment{'' if count == 1 else 's'}, placed again in "
        f"date order: {each}"
    )


def payoff(lw: Loanwatch, call: Invocation) -> Reply:
    """`payoff FACILITY [YYYY-MM-DD]`: what settles the facility that day."""
    if not call.words or len(call.words) > 2:
        raise InputError("a payoff quote needs the facility, and a date if not today")
    with lw.transaction() as session:
        facility = get_facility(session, call.words[0])
        on = (
            parsing.payoff_date(call.words[1])
            if len(call.words) == 2
            else lw.clock().astimezone(facility_zone(facility)).date()
        )
        quote = payoff_quote(session, facility, on, lw.calendar, now=lw.clock())
        money = facility.currency
        return Reply(
            f"Payoff of *{facility.slug}* on {on.isoformat()}: principal "
            f"{format_money(quote.principal, money)} + interest to the day "
            f"{format_money(quote.interest, money)} + penalty "
            f"{format_money(quote.penalty, money)} = *{format_money(quote.total, money)}*"
        )


def bill(lw: Loanwatch, call: Invocation) -> Reply:
    """`bill FACILITY DUE_DATE AMOUNT [paid]`, or `bill remove FACILITY DUE_DATE REASON…`."""
    words = call.words
    if words and words[0].lower() == "remove":
        return bill_remove(lw, call)
    if len(words) < 3:
        raise InputError("a bill needs the facility, its due date and its amount")
    due = parsing.due_date(words[1])
    amount, after = take_amount(words, 2, allow_zero=True)
    extra = [word.lower() for word in words[after:]]
    if extra not in ([], ["paid"]):
        raise InputError(
            f"{' '.join(words[after:])!r} is not understood; the only extra word is paid"
        )
    paid = extra == ["paid"]
    with lw.transaction() as session:
        facility = get_facility(session, words[0], for_update=True)
        result = record_bill(
            session,
            actor(call.user_id),
            facility,
            due_date=due,
            amount=amount,
            paid=paid,
            now=lw.clock(),
        )
        money = facility.currency
        shown = f"{format_money(amount, money)} due {due.isoformat()}"
        paid_text = ", paid" if result.row.paid else ""
        if result.previous is not None:
            was = format_money(result.previous.amount, money)
            return Reply(
                f"corrected {was} → {format_money(amount, money)}: bill due {due.isoformat()} "
                f"on *{facility.slug}*{paid_text} (#{result.row.id}; #{result.previous.id} "
                "kept as history)"
            )
        verb = "recorded" if result.new else "already had"
        return Reply(f"{verb} bill #{result.row.id} on *{facility.slug}*: {shown}{paid_text}")


def bill_remove(lw: Loanwatch, call: Invocation) -> Reply:
    """`bill remove FACILITY DUE_DATE REASON…`: a bill entered by mistake, kept as history."""
    words = call.words[1:]
    if len(words) < 3:
        raise InputError("removing a bill needs the facility, its due date and the reason")
    due = parsing.due_date(words[1])
    with lw.transaction() as session:
        facility = get_facility(session, words[0], for_update=True)
        removed = remove_bill(
            session,
            actor(call.user_id),
            facility,
            due_date=due,
            reason=" ".join(words[2:]),
            now=lw.clock(),
        )
        return Reply(
            f"<@{call.user_id}> removed bill #{removed.id} on *{facility.slug}*: "
            f"{format_money(removed.amount, facility.currency)} due {due.isoformat()} "
            f"({escape(removed.removal_reason or '')}); kept as history, its alerts clear on "
            "the next check",
            in_channel=True,
        )


def limit(lw: Loanwatch, call: Invocation) -> Reply:
    """`limit FACILITY LIMIT [available AMOUNT] [frozen|closed]`."""
    words = call.words
    if len(words) < 2:
        raise InputError("a limit reading needs the facility and the limit it shows")
    limit_amount, at = take_amount(words, 1, allow_zero=True, what="limit")
    available = None
    status = LimitStatus.ACTIVE
    while at < len(words):
        word = words[at].lower()
        if word == "available":
            if at + 1 == len(words):
                raise InputError("`available` needs the amount after it")
            available, at = take_amount(words, at + 1, allow_zero=True, what="available")
            continue
        if word not in {s.value for s in LimitStatus}:
            raise InputError(
                f"{words[at]!r} is not understood; after the limit come `available AMOUNT` and "
                "`frozen` or `closed`"
            )
        status = LimitStatus(word)
        at += 1
    with lw.transaction() as session:
        facility = get_facility(session, words[0])
        result = record_limit_reading(
            session,
            actor(call.user_id),
            facility,
            limit_amount=limit_amount,
            available=available,
            status=status,
            now=lw.clock(),
        )
        reading = result.row
        shown = (
            f", available {format_money(reading.available, facility.currency)}"
            if reading.available is not None
            else ""
        )
        return Reply(
            f"recorded reading on *{facility.slug}*: limit "
            f"{format_money(reading.limit_amount, facility.currency)}{shown}, {reading.status}"
        )


def facility(lw: Loanwatch, call: Invocation) -> Reply:
    """`facility list` (anyone) and `facility add SLUG PLATFORM LIMIT [DAILY_RATE] [CHANNEL_ID]`.

    The alert channel must be an id (C…): with the command's escaping off, as the manifest sets
    it so notes arrive as typed, Slack sends a #name as plain text, which cannot be updated or
    searched later. A channel link (<#C…|name>) is taken too.
    """
    action = call.words[0].lower() if call.words else "list"
    if action == "list":
        return _facility_list(lw)
    if action != "add":
        raise InputError(f"`facility {action}` is not a subcommand; use list or add")
    if not lw.may(call.user_id, Role.ADMIN, "facility add"):
        return Reply(refusal(Role.ADMIN, "add facilities"))
    words = call.words[1:]
    if len(words) < 3:
        raise InputError("a facility needs a slug, a platform and a limit")
    limit_amount, after = take_amount(words, 2, what="limit")
    rate, channel = None, None
    for word in words[after:]:
        word_rate, word_channel = parsing.rate_or_channel(word)
        if (word_rate is not None and rate is not None) or (word_channel and channel):
            raise InputError(
                f"{word!r} is one {'rate' if word_rate is not None else 'channel'} too many; a "
                "facility has one daily rate and one alert channel"
            )
        rate = word_rate if word_rate is not None else rate
        channel = word_channel or channel
    terms = FacilityTerms.as_given(
        words[0],
        words[1].lower(),
        limit_amount,
        timezone=lw.settings.timezone,
        daily_rate=rate,
        alert_channel=channel,
    )
    with lw.transaction() as session:
        added = facility_service.add_facility(session, actor(call.user_id), terms, now=lw.clock())
        where = f", alerts to <#{added.alert_channel}>" if added.alert_channel else ""
        return Reply(
            f"<@{call.user_id}> added facility *{added.slug}* at "
            f"{escape(added.platform.display_name)}: limit "
            f"{format_money(added.limit_amount, added.currency)}, "
            f"{describe_terms(added)}{where}",
            in_channel=True,
        )


def _position_line(p: Position) -> str:
    """`• *jiebei-main* (借呗 Jiebei): limit ¥300,000.00, used …, available …`; a line whose
    platform shows a lower limit says so, and its available is measured against that."""
    currency = p.facility.currency
    limit = format_money(p.facility.limit_amount, currency)
    if p.cut_to is not None:
        limit += f" (the platform shows {format_money(p.cut_to, currency)})"
    return (
        f"• *{p.facility.slug}* ({escape(p.facility.platform.display_name)}): limit {limit}, "
        f"used {format_money(p.outstanding, currency)}, "
        f"available {format_money(p.available, currency)}"
    )


def _facility_list(lw: Loanwatch) -> Reply:
    with lw.reading() as session:
        current = positions(session)
        if not current:
            return Reply("No facilities yet; an admin adds one with `facility add`.")
        lines = [_position_line(p) for p in current]
    return Reply("\n".join(lines))
