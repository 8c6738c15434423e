"""What a person reads about importing a file shared in Slack: the report, the refusals, the
shortcut's form and the answer to `/loan import`. The report's lines are the CLI's own
(`ImportSummary.lines`), so both surfaces say the same about one file."""

from bot.ledger.import_requests import WAIT, ImportTarget
from bot.ledger.importer import ImportSummary
from bot.slack.mrkdwn import escape

SHORTCUT_CALLBACK = "import_statement"
FORM_CALLBACK = "import_statement_form"
TITLE = "Import statement"
FACILITY_LABEL = "Facility"
HOW_LABEL = "Read it as"
FILE_LABEL = "File"
SUBMIT = "Import"
# The built-in ways to read a file, as the CLI's --format names them.
FORMAT_WORDS = {
    "auto": "Detect: Alipay export, bills or limits CSV",
    "alipay": "Alipay export (交易明细)",
    "bills": "Bills CSV",
    "limits": "Limits CSV",
}
NO_FILE = (
    "This message has no file loanwatch can import. Use *Import statement* on a message with a "
    "CSV file or an .xlsx workbook, or type `/loan import FACILITY` and share the file."
)
NO_FACILITIES = "There are no facilities yet; an admin adds one with `/loan facility add`."
WHAT = "import statements"
WHAT_TREASURER = "import repayments and draw confirmations"


def how(target: ImportTarget) -> str:
    """`with mapping abc`, `as an Alipay export`, or nothing for detection."""
    if target.mapping:
        return f" with mapping *{escape(target.mapping)}*"
    if target.fmt == "auto":
        return ""
    return f" as {FORMAT_WORDS[target.fmt].lower()}"


def report(name: str, facility: str, summary: ImportSummary) -> str:
    """The import's report: what was new, what was there already, what was skipped."""
    nothing_new = not (
        sum(summary.added.values())
        or sum(summary.updated.values())
        or sum(summary.corrected.values())
    )
    head = f"Imported *{escape(name)}* into *{escape(facility)}*"
    head += ": nothing new, every row was there already." if nothing_new else "."
    return "\n".join([head, *(f"• {escape(line)}" for line in summary.lines())])


def refused(name: str | None, facility: str, why: str) -> str:
    """A file not imported, by its name (None: Slack did not say it): why, and that nothing
    was written."""
    shown = f"*{escape(name)}*" if name else "The file you shared"
    return (
        f":warning: {shown} was not imported into *{escape(facility)}*, and nothing "
        f"was written:\n{escape(why)}"
    )


def not_importable(name: str, shown: str, *, old_xls: bool) -> str:
    """Why a file of another type is not read; `shown` is the type Slack gives it."""
    kind = f" (Slack gives its type as {shown})" if shown else ""
    old = " Save an old .xls as .xlsx or CSV." if old_xls else ""
    return (
        f"{name or 'The file'} is not a CSV file or an .xlsx workbook{kind}; loanwatch imports "
        f"only those.{old}"
    )


def armed(target: ImportTarget, shown_until: str) -> str:
    """The answer to `/loan import`: share the file now, here is until when."""
    minutes = int(WAIT.total_seconds() // 60)
    return (
        f"Share the statement file (CSV or .xlsx) in this channel (loanwatch must be in it) "
        f"within {minutes} minutes "
        f"(until {shown_until}): loanwatch imports the next file you share into "
        f"*{escape(target.facility)}*{how(target)} and sends you the report as a direct message. "
        "Typing `/loan import` again replaces this one."
    )
