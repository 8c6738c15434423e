"""What a person reads about importing a file shared in Slack: the report, the refusals, the
shortcut's form and the answer to `/loan import`. The report's lines are the CLI's own
(`ImportSummary.lines`), so both surfaces say the same about one file."""

from bot.i18n import N_, _, ngettext
from bot.ledger.import_requests import WAIT, ImportTarget
from bot.ledger.importer import ImportSummary
from bot.slack.mrkdwn import escape

SHORTCUT_CALLBACK = "import_statement"
FORM_CALLBACK = "import_statement_form"
# Marked with N_, said where shown: _(TITLE).
TITLE = N_("Import statement")
FACILITY_LABEL = N_("Facility")
HOW_LABEL = N_("Read it as")
FILE_LABEL = N_("File")
SUBMIT = N_("Import")
# The built-in ways to read a file, as the CLI's --format names them.
FORMAT_WORDS = {
    "auto": N_("Detect: Alipay export, bills or limits CSV"),
    "alipay": N_("Alipay export (交易明细)"),
    "bills": N_("Bills CSV"),
    "limits": N_("Limits CSV"),
}
# How `/loan import`'s answer names each format: "… into *jb* as bills csv …".
FORMAT_AS = {
    "alipay": N_("{into} as alipay export (交易明细)"),
    "bills": N_("{into} as bills csv"),
    "limits": N_("{into} as limits csv"),
}
NO_FILE = N_(
    "This message has no file loanwatch can import. Use *Import statement* on a message with a "
    "CSV file or an .xlsx workbook, or type `/loan import FACILITY` and share the file."
)
NO_FACILITIES = N_("There are no facilities yet; an admin adds one with `/loan facility add`.")
WHAT = N_("import statements")
WHAT_TREASURER = N_("import repayments and draw confirmations")


def into(target: ImportTarget) -> str:
    """`*jb*`, `*jb* with mapping *abc*`, `*jb* as bills csv`: where and how."""
    facility = f"*{escape(target.facility)}*"
    if target.mapping:
        return _("{into} with mapping {mapping}").format(
            into=facility, mapping=f"*{escape(target.mapping)}*"
        )
    if target.fmt in FORMAT_AS:
        return _(FORMAT_AS[target.fmt]).format(into=facility)
    return facility


def report(name: str, facility: str, summary: ImportSummary) -> str:
    """The import's report: what was new, what was there already, what was skipped."""
    nothing_new = not (
        sum(summary.added.values())
        or sum(summary.updated.values())
        or sum(summary.corrected.values())
    )
    names = {"name": f"*{escape(name)}*", "facility": f"*{escape(facility)}*"}
    if nothing_new:
        head = _("Imported {name} into {facility}: nothing new, every row was there already.")
    else:
        head = _("Imported {name} into {facility}.")
    head = head.format(**names)
    return "\n".join([head, *(f"• {escape(line)}" for line in summary.lines())])


def refused(name: str | None, facility: str, why: str) -> str:
    """A file not imported, by its name (None: Slack did not say it): why, and that nothing
    was written."""
    where = f"*{escape(facility)}*"
    if name:
        said = _("{file} was not imported into {facility}, and nothing was written:").format(
            file=f"*{escape(name)}*", facility=where
        )
    else:
        said = _(
            "The file you shared was not imported into {facility}, and nothing was written:"
        ).format(facility=where)
    return f":warning: {said}\n{escape(why)}"


def not_importable(name: str, shown: str, *, old_xls: bool) -> str:
    """Why a file of another type is not read; `shown` is the type Slack gives it."""
    named = name or _("The file")
    if shown:
        said = _(
            "{file} is not a CSV file or an .xlsx workbook (Slack gives its type as {type}); "
            "loanwatch imports only those."
        ).format(file=named, type=shown)
    else:
        said = _(
            "{file} is not a CSV file or an .xlsx workbook; loanwatch imports only those."
        ).format(file=named)
    return _("{said} Save an old .xls as .xlsx or CSV.").format(said=said) if old_xls else said


def armed(target: ImportTarget, shown_until: str) -> str:
    """The answer to `/loan import`: share the file now, here is until when."""
    minutes = int(WAIT.total_seconds() // 60)
    return ngettext(
        "Share the statement file (CSV or .xlsx) in this channel (loanwatch must be in it) "
        "within {minutes} minute (until {until}): loanwatch imports the next file you share "
        "into {into} and sends you the report as a direct message. Typing `/loan import` "
        "again replaces this one.",
        "Share the statement file (CSV or .xlsx) in this channel (loanwatch must be in it) "
        "within {minutes} minutes (until {until}): loanwatch imports the next file you share "
        "into {into} and sends you the report as a direct message. Typing `/loan import` "
        "again replaces this one.",
        minutes,
    ).format(minutes=minutes, until=shown_until, into=into(target))
