"""A modal's `private_metadata`, signed: what the bot knew when it opened the form.

Slack hands `private_metadata` back unchanged with the submission, but a submission can be
made up by anyone who can get one signed by Slack's transport, and the metadata is where a
form keeps what it acts on (which alert, which channel to answer in). So every modal the bot
opens packs its facts with the form's kind and the person it was opened for, under an HMAC with
the installation's key (bot.installation), and its submission handler unpacks and checks them:

    metadata = pack(lw.installation(), RESOLVE_CALLBACK, user_id, {"alert": 12})
    facts = unpack(lw.installation(), view["private_metadata"], RESOLVE_CALLBACK, user_id)

A form that fails the check is refused (ForgedMetadataError) and nothing is done.
"""

import json
import re
from typing import Any

from bot.errors import InputError
from bot.i18n import _
from bot.installation import ThisInstallation

# Slack's limit for private_metadata.
MAX_METADATA = 3000
SIGNATURE = re.compile(r"[0-9a-f]{64}")
KIND = "kind"
USER = "user"


class ForgedMetadataError(InputError):
    """The form's metadata is not what loanwatch signed for this form and this person."""

    def __init__(self) -> None:
        super().__init__(
            _(
                "loanwatch did not open this form for you, so nothing was done; open it again "
                "from Slack (the button or the command)"
            )
        )


def pack(me: ThisInstallation, kind: str, user_id: str, facts: dict[str, Any]) -> str:
    """`facts` with the form's kind and its person, as JSON, a dot, and the JSON's HMAC."""
    text = json.dumps({**facts, KIND: kind, USER: user_id}, separators=(",", ":"), sort_keys=True)
    packed = f"{text}.{me.sign(text.encode())}"
    if len(packed) > MAX_METADATA:
        raise ValueError(f"private_metadata would be {len(packed)} characters; Slack takes 3000")
    return packed


def unpack(me: ThisInstallation, metadata: Any, kind: str, user_id: str) -> dict[str, Any]:
    """The facts `pack` signed for this kind of form and this person, or ForgedMetadataError."""
    if not isinstance(metadata, str) or len(metadata) > MAX_METADATA:
        raise ForgedMetadataError()
    text, _dot, signature = metadata.rpartition(".")
    # What pack() signs is ASCII (json.dumps escapes the rest), and so is its signature.
    if not (text.isascii() and SIGNATURE.fullmatch(signature)):
        raise ForgedMetadataError()
    if not me.verify(text.encode(), signature):
        raise ForgedMetadataError()
    facts = json.loads(text)
    if facts.get(KIND) != kind or facts.get(USER) != user_id:
        raise ForgedMetadataError()
    return facts
