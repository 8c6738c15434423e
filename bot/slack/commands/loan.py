"""`/loan SUBCOMMAND …`: find the subcommand, check the person's role, answer ephemerally on error.

Bolt routes the slash command here; the subcommand is the first word of its text. Each
subcommand is a plain function `(loanwatch, invocation) -> Reply | None` (None when it opened a
modal instead of answering), listed once in SUBCOMMANDS with the role it needs and its usage.
"""

from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

from slack_sdk import WebClient

from bot.errors import InputError
from bot.i18n import N_, ZH, _, current
from bot.metrics import command_timer
from bot.slack.commands import alerts, digest, imports, ledger, oncall, status, tickets
from bot.slack.commands.invocation import Invocation
from bot.slack.context import Loanwatch, loanwatch_of, refusal
from bot.slack.mrkdwn import escape
from bot.slack.reply import Reply, problem
from bot.slack.roles import Role

Handler = Callable[[Loanwatch, Invocation], Reply | None]


@dataclass(frozen=True)
class Subcommand:
    handler: Handler
    role: Role
    what: str  # "log draws": for the refusal, "Only treasurers may log draws."
    usage: str
    summary: str


SUBCOMMANDS: dict[str, Subcommand] = {
    "help": Subcommand(
        lambda lw, call: help_reply(call.command),
        Role.VIEWER,
        "",
        N_("help"),
        N_("this list"),
    ),
    "draw": Subcommand(
        ledger.draw,
        Role.TREASURER,
        N_("log draws"),
        N_("draw FACILITY AMOUNT TERM [note…] · draw confirm FACILITY DRAW_ID"),
        N_("log a draw and see its schedule (no arguments: a form); say its money arrived"),
    ),
    "repay": Subcommand(
        ledger.repay,
        Role.TREASURER,
        N_("record repayments"),
        N_("repay FACILITY AMOUNT [YYYY-MM-DD] [note…]"),
        N_("record a repayment"),
    ),
    "payoff": Subcommand(
        ledger.payoff,
        Role.VIEWER,
        "",
        N_("payoff FACILITY [YYYY-MM-DD]"),
        N_("principal, interest to the day, penalty: what settles it"),
    ),
    "bill": Subcommand(
        ledger.bill,
        Role.OPERATOR,
        N_("record bills"),
        N_("bill FACILITY DUE_DATE AMOUNT [paid] · bill remove FACILITY DUE_DATE REASON…"),
        N_("record a bill the platform shows (a new amount corrects it), or remove a typo"),
    ),
    "limit": Subcommand(
        ledger.limit,
        Role.OPERATOR,
        N_("record limit readings"),
        N_("limit FACILITY LIMIT [available AMOUNT] [frozen|closed]"),
        N_("record the limit the platform shows"),
    ),
    "import": Subcommand(
        imports.import_file,
        Role.OPERATOR,  # a file of repayments needs a treasurer: checked when it is read.
        N_("import statements"),
        imports.USAGE,
        N_(
            "import the next file you share (CSV or .xlsx), as `loanwatch import` does; or use "
            "the Import statement shortcut on a message with the file"
        ),
    ),
    "status": Subcommand(
        status.status,
        Role.VIEWER,
        "",
        N_("status [FACILITY]"),
        N_("limits, what is drawn and due, open alerts"),
    ),
    "digest": Subcommand(
        digest.digest,
        Role.VIEWER,
        "",
        N_("digest"),
        N_(
            "the daily digest, posted here now: lines, bills due, alerts, a 13-week cash-flow chart"
        ),
    ),
    "ack": Subcommand(
        alerts.ack,
        Role.OPERATOR,
        N_("acknowledge alerts"),
        N_("ack ALERT_ID"),
        N_("own an alert"),
    ),
    "snooze": Subcommand(
        alerts.snooze,
        Role.OPERATOR,
        N_("snooze alerts"),
        N_("snooze ALERT_ID DURATION (e.g. 4h, 1d)"),
        N_("quiet an alert for a while"),
    ),
    "resolve": Subcommand(
        alerts.resolve,
        Role.OPERATOR,
        N_("resolve alerts"),
        N_("resolve ALERT_ID REASON…"),
        N_("close an alert by hand, with the reason"),
    ),
    "silence": Subcommand(
        alerts.silence,
        Role.VIEWER,  # `silence list` is for everyone; adding and removing check for treasurer.
        "",
        N_("silence FACILITY|check:NAME|all DURATION REASON… · silence list · silence remove ID"),
        N_("quiet a facility, a check or everything (maintenance)"),
    ),
    "ticket": Subcommand(
        tickets.ticket,
        Role.VIEWER,  # list and show are for everyone; each change checks its own role.
        "",
        tickets.USAGE,
        N_(
            "take it up with the platform: open (no arguments: a form), list, show, note, "
            "record its reply, mark sent, close"
        ),
    ),
    "oncall": Subcommand(
        oncall.oncall,
        Role.VIEWER,  # showing is for everyone; `take` checks for operator, `set` for admin.
        "",
        N_("oncall · oncall take [ROTATION] [until TIME] · oncall set @user [ROTATION] until TIME"),
        N_("who is on call; take a shift; admins put someone on call"),
    ),
    "facility": Subcommand(
        ledger.facility,
        Role.VIEWER,  # `facility list` is for everyone; `facility add` checks for admin itself.
        "",
        N_("facility list · facility add SLUG PLATFORM LIMIT [DAILY_RATE] [CHANNEL_ID]"),
        N_("the credit lines (adding one is for admins)"),
    ),
}


# Chinese names for the subcommands, as a Chinese finance team types them: `/loan 借款 …` is
# `/loan draw …`. Metrics, audit and roles see the English name.
ALIASES: dict[str, str] = {
    "帮助": "help",
    "借款": "draw",
    "还款": "repay",
    "结清": "payoff",
    "账单": "bill",
    "额度": "limit",
    "导入": "import",
    "状态": "status",
    "摘要": "digest",
    "确认": "ack",
    "暂缓": "snooze",
    "解决": "resolve",
    "静默": "silence",
    "工单": "ticket",
    "值班": "oncall",
}
ALIAS_OF = {name: alias for alias, name in ALIASES.items()}


def loan(ack: Callable[..., Any], command: dict[str, Any], client: WebClient, context: Any) -> None:
    """The slash command: one subcommand, answered in the ack, counted and timed
    (`loanwatch_commands_total`, `loanwatch_command_seconds`)."""
    lw = loanwatch_of(context)
    call = Invocation.from_command(command, client)
    name = ALIASES.get(call.subcommand, call.subcommand) or "help"
    sub = SUBCOMMANDS.get(name)
    # Only the subcommands there are name a metric's series: a typo is `unknown`.
    with command_timer(name if sub is not None else "unknown") as outcome:
        if sub is None:
            outcome.result = "invalid"
            ack(
                **problem(
                    _("there is no `{name}` subcommand").format(name=name),
                    _("{command} help").format(command=call.command),
                ).ack_kwargs()
            )
            return
        if sub.role > Role.VIEWER and not lw.may(call.user_id, sub.role, f"{name}"):
            outcome.result = "refused"
            ack(**Reply(refusal(sub.role, sub.what)).ack_kwargs())
            return
        try:
            reply = sub.handler(lw, call)
        except InputError as exc:
            outcome.result = "invalid"
            reply = problem(str(exc), f"{call.command} {_(sub.usage)}")
        if reply is None:
            ack()
        else:
            ack(**reply.ack_kwargs())


def help_reply(command: str) -> Reply:
    """Every subcommand with its usage; a Chinese reader also sees each one's Chinese name."""
    shown = escape(command)
    lines = [
        _("*{command}* — log draws, record what the platforms show, work alerts:").format(
            command=shown
        )
    ]
    for name, sub in SUBCOMMANDS.items():
        usage = f"{shown} {escape(_(sub.usage))}"
        alias = ALIAS_OF.get(name)
        if alias and current() == ZH:
            line = _("• `{usage}` (or `{alias}`) — {summary}")
        else:
            line = _("• `{usage}` — {summary}")
        lines.append(line.format(usage=usage, alias=alias, summary=_(sub.summary)))
    lines.append(
        _(
            "Amounts: 50000, 50,000.00, ¥1,200, 5万 or 5 万, 50k. Dates: YYYY-MM-DD. "
            "Durations: 30m, 4h, 2d."
        )
    )
    return Reply("\n".join(lines))
