"""The daily digest as a Slack message, within Slack's limits whatever the portfolio's size.

One message: a header, then a section per part of the digest (the headings and lines are
`bot.digest.text`'s words, escaped for mrkdwn), in the language in use (the transport chooses
the channel's, `jobs.transports.slack_digest`). A section shows its first lines up to
SHOWN_LINES (facilities: SHOWN_FACILITIES, the most used) and never more than a text object's
3,000 characters; what it leaves out is counted. The facilities left out go into a CSV
(`left_out`, `bot.digest.text.rest_csv`) that the worker uploads into the message's thread with
the cash-flow chart. Checked by `bot.slack.blocks.validate` before it leaves.
https://api.slack.com/reference/block-kit/blocks
"""

from typing import Any

from slack_sdk.models.blocks import (
    Block,
    ContextBlock,
    HeaderBlock,
    MarkdownTextObject,
    PlainTextObject,
    SectionBlock,
)

from bot.digest.numbers import Digest, FacilityLine
from bot.digest.text import (
    chart_filename,
    digest_title,
    heading,
    nothing,
    overdue_count,
    rest_filename,
    section_lines,
)
from bot.i18n import _
from bot.slack.blocks import MAX_HEADER, MAX_TEXT, validate
from bot.slack.mrkdwn import escape, escape_within, truncate

SHOWN_FACILITIES = 15
SHOWN_LINES = 10
# One line of a section at most: a long alert summary is cut, the rest of the section stays.
MAX_LINE = 280
ICONS = {"critical": ":red_circle:", "warning": ":large_orange_circle:"}


def left_out(digest: Digest) -> list[FacilityLine]:
    """The facilities the message does not show (they go into the attached CSV)."""
    return digest.facilities[SHOWN_FACILITIES:]


def digest_message(digest: Digest) -> tuple[str, list[dict[str, Any]]]:
    """(fallback text, blocks) of the digest's message."""
    lines = section_lines(digest)
    if digest.alerts:
        lines["alerts"] = [
            f"{ICONS.get(a.severity, '')} {line}".strip()
            for a, line in zip(digest.alerts, lines["alerts"], strict=True)
        ]
    lines["concentration"] = [line.replace("⚠", ":warning:") for line in lines["concentration"]]
    title = digest_title(digest.day)
    blocks: list[Block] = [HeaderBlock(text=PlainTextObject(text=truncate(title, MAX_HEADER)))]
    for key, section in lines.items():
        shown = SHOWN_FACILITIES if key == "facilities" else SHOWN_LINES
        blocks.append(_section(heading(key), section, shown, nothing(key)))
        if key == "facilities" and left_out(digest):
            more = _("{count} more facilities in {file}, in the thread.").format(
                count=len(left_out(digest)), file=rest_filename(digest.day)
            )
            blocks.append(_context(more))
    chart = _(
        "The {weeks}-week cash flow, repayments per facility and the credit available, is "
        "charted in {file}, in the thread."
    ).format(weeks=len(digest.cashflow.weeks), file=chart_filename(digest.day))
    blocks.append(_context(chart))
    rendered = [block.to_dict() for block in blocks]
    validate(rendered)
    return escape_within(_fallback(digest), MAX_TEXT), rendered


def _fallback(digest: Digest) -> str:
    """The notification's text: the title and the counts that matter first."""
    return _(
        "{title}: {facilities} facilities, {due} bills due in 7 days ({overdue} overdue), "
        "{alerts} open alerts, {tickets} tickets waiting on a platform"
    ).format(
        title=digest_title(digest.day),
        facilities=len(digest.facilities),
        due=len(digest.due),
        overdue=overdue_count(digest),
        alerts=len(digest.alerts),
        tickets=len(digest.tickets),
    )


def _section(heading: str, lines: list[str], shown: int, nothing: str) -> SectionBlock:
    """`*heading*` and a bullet per line, as many as fit; the rest counted."""
    head = f"*{escape(heading)}*\n"
    if not lines:
        return SectionBlock(text=MarkdownTextObject(text=head + escape(nothing)))
    body: list[str] = []
    for count, line in enumerate(lines):
        bullet = "• " + escape_within(line, MAX_LINE)
        tail = _more(len(lines) - count - 1)
        if count >= shown or len(head) + len("\n".join([*body, bullet, tail])) > MAX_TEXT:
            body.append(_more(len(lines) - count))
            break
        body.append(bullet)
    return SectionBlock(text=MarkdownTextObject(text=head + "\n".join(body)))


def _more(left: int) -> str:
    return "_" + _("… and {count} more").format(count=left) + "_" if left else ""


def _context(text: str) -> ContextBlock:
    return ContextBlock(elements=[MarkdownTextObject(text=escape_within(text, MAX_TEXT))])
