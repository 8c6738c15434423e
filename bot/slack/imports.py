"""Importing a file shared in Slack: the same import as `loanwatch import FILE --facility FAC
[--format F | --mapping NAME]` (bot.ledger.importer.import_file), all of the file or none of it.

Two ways in, one way through (`run`): the **Import statement** shortcut's form (its submission)
and a file shared after `/loan import` (the `file_shared` event, which takes the import the
person armed; bot.ledger.import_requests). Both run after Slack had its answer (Bolt's lazy
listeners), since a download and an import may take longer than the three seconds Slack waits.
The report goes to the person as a direct message: it is theirs to keep, and it reaches them
wherever the file was shared.

Who may: an operator may import what an operator may record by hand (bills, limit readings); a
file that records repayments or draw confirmations needs a treasurer, as `/loan repay` and
`/loan draw confirm` do. The rows are read first, the role is checked against what they would
record, and only then is anything written; a refusal is audited (`refused`).
"""

import logging
import uuid
from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from slack_sdk import WebClient
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session

from bot.errors import InputError
from bot.i18n import _
from bot.ledger import import_requests
from bot.ledger.facilities import get_facility
from bot.ledger.import_requests import Armed, ImportTarget
from bot.ledger.importer import import_file, records
from bot.ledger.statements.rows import ParsedStatement
from bot.slack import files
from bot.slack import import_words as words
from bot.slack.context import Loanwatch, actor, refusal
from bot.slack.roles import Role

log = logging.getLogger(__name__)

TREASURER_RECORDS = frozenset({"repayments", "draw confirmations"})


class _RoleNeededError(Exception):
    """The file would record what the person's role may not; nothing was written."""

    def __init__(self, role: Role) -> None:
        super().__init__(role.name)
        self.role = role


@dataclass(frozen=True)
class Outcome:
    """What happened to one file: the text for its sender, and whether rows were recorded."""

    text: str
    imported: bool


def needed_role(parsed: ParsedStatement) -> Role:
    """Treasurer for repayments and draw confirmations, operator for bills and readings."""
    return Role.TREASURER if records(parsed) & TREASURER_RECORDS else Role.OPERATOR


def run(
    lw: Loanwatch,
    client: WebClient,
    user_id: str,
    file_id: str,
    target: ImportTarget,
    *,
    claim: Callable[[Session, str], bool] | None = None,
) -> Outcome | None:
    """Fetch the file, import it for `user_id`, and return what to tell them (None: nothing,
    because `claim` said another delivery of the same file handled it).

    `claim(session, result)` runs first in each transaction that writes (the import's, or the
    one that records a refusal); when it returns False that transaction writes nothing."""
    try:
        shared = files.fetch(client, lw.settings, file_id)
    except files.FileRefusedError as error:
        return _refused(lw, claim, error.name, target, str(error))
    try:
        with lw.transaction() as session:
            if claim is not None and not claim(session, "imported"):
                return None
            facility = get_facility(session, target.facility, for_update=True)

            def allowed(parsed: ParsedStatement) -> None:
                role = needed_role(parsed)
                if lw.roles.role_of(user_id) < role:
                    raise _RoleNeededError(role)

            summary = import_file(
                session,
                actor(user_id),
                facility,
                shared.data,
                fmt=target.fmt,
                mapping=target.mapping,
                now=lw.clock(),
                before_recording=allowed,
            )
            text = words.report(shared.name, facility.slug, summary)
    except IntegrityError:
        if claim is None:
            raise
        # Another delivery of the same event took the import at the same moment.
        log.info("file %s: a concurrent delivery imported it", file_id[:64])
        return None
    except _RoleNeededError as needed:
        lw.may(user_id, needed.role, "import")  # audits the refusal
        what = words.WHAT_TREASURER if needed.role == Role.TREASURER else words.WHAT
        why = refusal(needed.role, _(what))
        return _refused(lw, claim, shared.name, target, why)
    except InputError as error:
        return _refused(lw, claim, shared.name, target, str(error))
    return Outcome(text, imported=True)


def take_armed(
    armed: Armed, delivery: str, file_id: str, now_of: Callable[[], datetime]
) -> Callable[[Session, str], bool]:
    """A `claim` for `run`: this delivery of the file takes the armed import, once."""

    def claim(session: Session, result: str) -> bool:
        return import_requests.take(session, armed, delivery, file_id, result=result, now=now_of())

    return claim


def run_and_tell(
    lw: Loanwatch, client: WebClient, user_id: str, file_id: str, target: ImportTarget, **how: Any
) -> None:
    """`imports.run`, its outcome sent to the person; an error is logged with a reference the
    person is given (this runs after Slack had its answer, so nothing else would tell them)."""
    try:
        outcome = run(lw, client, user_id, file_id, target, **how)
        if outcome is not None:
            tell(client, user_id, outcome)
    except Exception:
        reference = uuid.uuid4().hex[:8]
        log.exception("import of file %s failed (reference %s)", file_id[:64], reference)
        client.chat_postMessage(
            channel=user_id,
            text=_(
                "Something went wrong on loanwatch's side with the file (reference "
                "{reference}); give your admin the reference. Importing the same file again "
                "is safe: rows already in the ledger are not added twice."
            ).format(reference=reference),
        )


def tell(client: WebClient, user_id: str, outcome: Outcome) -> None:
    """The report (or refusal) to the person, as a direct message from the app."""
    client.chat_postMessage(channel=user_id, text=outcome.text)


def _refused(
    lw: Loanwatch,
    claim: Callable[[Session, str], bool] | None,
    name: str | None,
    target: ImportTarget,
    why: str,
) -> Outcome | None:
    if claim is not None:
        try:
            with lw.transaction() as session:
                if not claim(session, f"refused: {why}"):
                    return None
        except IntegrityError:
            return None  # a concurrent delivery of the same event took it, and tells them
    return Outcome(words.refused(name, target.facility, why), imported=False)
