"""A CSV cell that a spreadsheet shows as text, never runs: the one function every CSV loanwatch
writes (alerts in Slack, `loanwatch export`, the usage records) puts its cells through.

Excel and its kind read a cell starting with `=`, `+`, `-` or `@` as a formula (a tab or CR
first hides one), so text someone typed — a ticket's subject, the platform's case number — could
run `=HYPERLINK(…)` on the reader's machine. Such a cell gets a leading `'`, which spreadsheets
take as "this is text". A plain signed number (`-1662.57`) is left as it is: it is a number to
the spreadsheet, not a formula. https://owasp.org/www-community/attacks/CSV_Injection
"""

import re
from typing import Any

FORMULA_START = ("=", "+", "-", "@", "\t", "\r")
_SIGNED_NUMBER = re.compile(r"[+-][0-9]+(\.[0-9]+)?")


def safe_cell(value: Any) -> str:
    """The value as a CSV cell's text: None is empty, a formula-looking start is defused."""
    text = "" if value is None else str(value)
    if text.startswith(FORMULA_START) and not _SIGNED_NUMBER.fullmatch(text):
        return "'" + text
    return text
