"""`/loan draw|repay|bill|limit|facility`: the ledger and what the platforms show."""

from bot.errors import InputError
from bot.i18n import N_, _
from bot.i18n.formats import big_money, day
from bot.ledger import facilities as facility_service
from bot.ledger.bills import remove_bill
from bot.ledger.confirmations import confirm_draw
from bot.ledger.draw_requests import DrawArgs
from bot.ledger.facilities import FacilityTerms, facility_zone, get_facility
from bot.ledger.observations import LimitStatus, record_bill, record_limit_reading, status_name
from bot.ledger.portfolio import positions
from bot.ledger.repayments import breakdown, placed_again, record_repayment
from bot.ledger.repayments.payoff import payoff_quote
from bot.ledger.terms import describe_terms
from bot.money import format_money, take_amount
from bot.slack import draw_replies, parsing
from bot.slack.actions.values import row_id
from bot.slack.commands import ledger_words
from bot.slack.commands.invocation import Invocation
from bot.slack.context import Loanwatch, actor, refusal
from bot.slack.mrkdwn import escape
from bot.slack.reply import Reply
from bot.slack.roles import Role
from bot.slack.views.draw import open_draw_modal

# Chinese for the few words typed after the numbers: `账单 … 已还`, `额度 … 可用 5万 冻结`.
PAID_WORDS = {"已还": "paid", "已还款": "paid"}
LIMIT_WORDS = {"可用": "available", "冻结": "frozen", "关闭": "closed", "已关闭": "closed"}


def draw(lw: Loanwatch, call: Invocation) -> Reply | None:
    """`draw FACILITY AMOUNT TERM [note…]`, or a bare `draw` for the form."""
    if not call.words:
        with lw.reading() as session:
            slugs = [p.facility.slug for p in positions(session) if p.facility.active]
        if not slugs:
            raise InputError(
                _("there are no facilities yet; an admin adds one with `facility add`")
            )
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
        raise InputError(_("a draw needs the facility, the amount and the term"))
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
        raise InputError(_("say which draw arrived: the facility and the draw's number, e.g. 7"))
    with lw.transaction() as session:
        facility = get_facility(session, words[0])
        result = confirm_draw(session, actor(call.user_id), facility, draw_id, now=lw.clock())
        draw = result.draw
        said = (
            _("<@{user}> already confirmed draw #{draw} on *{facility}*: {amount} arrived")
            if result.already
            else _("<@{user}> confirmed draw #{draw} on *{facility}*: {amount} arrived")
        )
        return Reply(
            said.format(
                user=call.user_id,
                draw=draw.id,
                facility=facility.slug,
                amount=format_money(draw.amount, facility.currency),
            ),
            in_channel=not result.already,
        )


def repay(lw: Loanwatch, call: Invocation) -> Reply:
    """`repay FACILITY AMOUNT [YYYY-MM-DD] [note…]`."""
    if len(call.words) < 2:
        raise InputError(_("a repayment needs the facility and the amount"))
    amount, paid_on, note = parsing.amount_then_date(call.words[1:], date_what=N_("payment date"))
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
        said = _(
            "<@{user}> recorded repayment #{repayment} on *{facility}*: {amount} on {paid_on} = "
            "principal {principal} + interest {interest}"
        ).format(
            user=call.user_id,
            repayment=repayment.id,
            facility=facility.slug,
            amount=format_money(repayment.amount, money),
            paid_on=day(repayment.paid_on),
            principal=format_money(placed.principal, money),
            interest=format_money(placed.interest, money),
        )
        if placed.penalty:
            said = (
                _("{said} + penalty {penalty} (computed by loanwatch)")
                if placed.penalty_computed
                else _("{said} + penalty {penalty}")
            ).format(said=said, penalty=format_money(placed.penalty, money))
        if placed.unexplained:
            said = _(
                "{said}; {amount} is more than the ledger can explain, and a repayment_mismatch "
                "alert will ask about it"
            ).format(said=said, amount=format_money(placed.unexplained, money))
        again = ledger_words.placed_again_words(placed_again(session, repayment), money)
        return Reply(said + again, in_channel=True)


def payoff(lw: Loanwatch, call: Invocation) -> Reply:
    """`payoff FACILITY [YYYY-MM-DD]`: what settles the facility that day."""
    if not call.words or len(call.words) > 2:
        raise InputError(_("a payoff quote needs the facility, and a date if not today"))
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
            _(
                "Payoff of *{facility}* on {on}: principal {principal} + interest to the day "
                "{interest} + penalty {penalty} = *{total}*"
            ).format(
                facility=facility.slug,
                on=day(on),
                principal=format_money(quote.principal, money),
                interest=format_money(quote.interest, money),
                penalty=format_money(quote.penalty, money),
                total=format_money(quote.total, money),
            )
        )


def bill(lw: Loanwatch, call: Invocation) -> Reply:
    """`bill FACILITY DUE_DATE AMOUNT [paid]`, or `bill remove FACILITY DUE_DATE REASON…`."""
    words = call.words
    if words and words[0].lower() == "remove":
        return bill_remove(lw, call)
    if len(words) < 3:
        raise InputError(_("a bill needs the facility, its due date and its amount"))
    due = parsing.due_date(words[1])
    amount, after = take_amount(words, 2, allow_zero=True)
    extra = [PAID_WORDS.get(word.lower(), word.lower()) for word in words[after:]]
    if extra not in ([], ["paid"]):
        raise InputError(
            _("{typed} is not understood; the only extra word is paid").format(
                typed=repr(" ".join(words[after:]))
            )
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
        words = {
            "amount": format_money(amount, money),
            "due": day(due),
            "facility": facility.slug,
            "bill": result.row.id,
        }
        if result.previous is not None:
            said = (
                _(
                    "corrected {was} → {amount}: bill due {due} on *{facility}*, paid (#{bill}; "
                    "#{previous} kept as history)"
                )
                if result.row.paid
                else _(
                    "corrected {was} → {amount}: bill due {due} on *{facility}* (#{bill}; "
                    "#{previous} kept as history)"
                )
            )
            was = format_money(result.previous.amount, money)
            return Reply(said.format(was=was, previous=result.previous.id, **words))
        if result.new:
            said = (
                _("recorded bill #{bill} on *{facility}*: {amount} due {due}, paid")
                if result.row.paid
                else _("recorded bill #{bill} on *{facility}*: {amount} due {due}")
            )
        else:
            said = (
                _("already had bill #{bill} on *{facility}*: {amount} due {due}, paid")
                if result.row.paid
                else _("already had bill #{bill} on *{facility}*: {amount} due {due}")
            )
        return Reply(said.format(**words))


def bill_remove(lw: Loanwatch, call: Invocation) -> Reply:
    """`bill remove FACILITY DUE_DATE REASON…`: a bill entered by mistake, kept as history."""
    words = call.words[1:]
    if len(words) < 3:
        raise InputError(_("removing a bill needs the facility, its due date and the reason"))
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
            _(
                "<@{user}> removed bill #{bill} on *{facility}*: {amount} due {due} ({reason}); "
                "kept as history, its alerts clear on the next check"
            ).format(
                user=call.user_id,
                bill=removed.id,
                facility=facility.slug,
                amount=format_money(removed.amount, facility.currency),
                due=day(due),
                reason=escape(removed.removal_reason or ""),
            ),
            in_channel=True,
        )


def limit(lw: Loanwatch, call: Invocation) -> Reply:
    """`limit FACILITY LIMIT [available AMOUNT] [frozen|closed]`."""
    words = call.words
    if len(words) < 2:
        raise InputError(_("a limit reading needs the facility and the limit it shows"))
    limit_amount, at = take_amount(words, 1, allow_zero=True, what=N_("limit"))
    available = None
    status = LimitStatus.ACTIVE
    while at < len(words):
        word = LIMIT_WORDS.get(words[at].lower(), words[at].lower())
        if word == "available":
            if at + 1 == len(words):
                raise InputError(_("`available` needs the amount after it"))
            available, at = take_amount(words, at + 1, allow_zero=True, what=N_("available"))
            continue
        if word not in {s.value for s in LimitStatus}:
            raise InputError(
                _(
                    "{typed} is not understood; after the limit come `available AMOUNT` and "
                    "`frozen` or `closed`"
                ).format(typed=repr(words[at]))
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
        said = (
            _("recorded reading on *{facility}*: limit {limit}, available {available}, {status}")
            if reading.available is not None
            else _("recorded reading on *{facility}*: limit {limit}, {status}")
        )
        return Reply(
            said.format(
                facility=facility.slug,
                limit=big_money(reading.limit_amount, facility.currency),
                available=(
                    big_money(reading.available, facility.currency)
                    if reading.available is not None
                    else ""
                ),
                status=status_name(reading.status),
            )
        )


def facility(lw: Loanwatch, call: Invocation) -> Reply:
    """`facility list` (anyone) and `facility add SLUG PLATFORM LIMIT [DAILY_RATE] [CHANNEL_ID]`.

    The alert channel must be an id (C…): with the command's escaping off, as the manifest sets
    it so notes arrive as typed, Slack sends a #name as plain text, which cannot be updated or
    searched later. A channel link (<#C…|name>) is taken too.
    """
    action = call.words[0].lower() if call.words else "list"
    if action == "list":
        return ledger_words.facility_list(lw)
    if action != "add":
        raise InputError(
            _("`facility {action}` is not a subcommand; use list or add").format(action=action)
        )
    if not lw.may(call.user_id, Role.ADMIN, "facility add"):
        return Reply(refusal(Role.ADMIN, N_("add facilities")))
    words = call.words[1:]
    if len(words) < 3:
        raise InputError(_("a facility needs a slug, a platform and a limit"))
    limit_amount, after = take_amount(words, 2, what=N_("limit"))
    rate, channel = None, None
    for word in words[after:]:
        word_rate, word_channel = parsing.rate_or_channel(word)
        if (word_rate is not None and rate is not None) or (word_channel and channel):
            raise InputError(
                (
                    _(
                        "{typed} is one rate too many; a facility has one daily rate and one "
                        "alert channel"
                    )
                    if word_rate is not None
                    else _(
                        "{typed} is one channel too many; a facility has one daily rate and one "
                        "alert channel"
                    )
                ).format(typed=repr(word))
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
        said = (
            _(
                "<@{user}> added facility *{facility}* at {platform}: limit {limit}, {terms}, "
                "alerts to <#{channel}>"
            )
            if added.alert_channel
            else _("<@{user}> added facility *{facility}* at {platform}: limit {limit}, {terms}")
        )
        return Reply(
            said.format(
                user=call.user_id,
                facility=added.slug,
                platform=escape(added.platform.display_name),
                limit=big_money(added.limit_amount, added.currency),
                terms=describe_terms(added),
                channel=added.alert_channel,
            ),
            in_channel=True,
        )
