"""Errors a person can act on.

An :class:`InputError` carries a message written for the finance person who typed the input:
it says what was wrong and how to fix it. The CLI prints it on one line and exits with status 2;
the Slack app shows it ephemerally. Nothing is written when one is raised.
"""


class InputError(ValueError):
    """Bad input from a person: the message says what was wrong and how to fix it."""


class NotFoundError(InputError):
    """The input names something that does not exist (a facility, a draw, an alert)."""


class SettingsError(InputError):
    """A setting is missing or wrong for what was asked: the message names it and what to set."""
