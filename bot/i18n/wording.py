"""A text kept with how it was worded, so it can be said again in any language.

What loanwatch writes once and shows many times (an alert's summary and facts, kept in the
database in English) is kept beside its English as a `Text`: the English message id and its
arguments, each typed so every language can write it its own way:

    Text(N_("expected {amount} due {due}"), {"amount": Money(Decimal("899.75")),
                                             "due": Day(date(2026, 12, 10))})
    # en: "expected ¥899.75 due 2026-12-10"      zh: "预计12月10日（周四）到期应还 ¥899.75"

An argument is plain data (a `str`, an `int`: shown as it is), an amount (`Money`), a date
(`Day`), a moment in a zone (`Moment`), a percentage (`Percent`), words of their own (`Text`,
translated too) or a list of arguments (`Listed`). Each goes to JSON and back
(:func:`to_json`, :func:`from_json`): `{"money": "899.75", "currency": "CNY"}`,
`{"date": "2026-12-10"}`, `{"moment": "2026-12-02T02:07:00+00:00", "zone": "Asia/Shanghai"}`,
`{"percent": "25.0"}`, `{"id": "…", "args": {…}}`, `{"list": […], "sep": "; "}`.

English is written exactly as the text was kept (ISO dates, `2026-12-02 10:07
(Asia/Shanghai)`, `25.0 %`), so the kept English is what :func:`english` gives back.
"""

from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from datetime import UTC, date, datetime
from decimal import Decimal
from typing import Any
from zoneinfo import ZoneInfo

from bot.i18n import EN, N_, ZH, _, current, formats, use

# The separators a `Listed` may use, kept in the catalogs ("; " is "；" in Chinese).
SEPARATORS = (N_("; "), N_(", "))


@dataclass(frozen=True)
class Money:
    """An amount in a currency; `big` for a limit or a total (in Chinese also in 万)."""

    amount: Decimal
    currency: str = "CNY"
    big: bool = False


@dataclass(frozen=True)
class Day:
    """A calendar date."""

    value: date


@dataclass(frozen=True)
class Moment:
    """A moment, shown in `zone` (an IANA name): `2026-12-02 10:07 (Asia/Shanghai)`; with
    `utc`, in UTC as `2026-12-02 02:07 UTC`."""

    value: datetime
    zone: str = "UTC"
    utc: bool = False


@dataclass(frozen=True)
class Percent:
    """A percentage, as a number: `Decimal("25.0")` is 25.0 %."""

    value: Decimal


@dataclass(frozen=True)
class Text:
    """Words: an English message id and its named arguments. With `plural`, the message id
    is the singular and `plural` the form for any `n` but 1 (each kept in the catalogs)."""

    msgid: str
    args: Mapping[str, "Arg"] = field(default_factory=dict)
    plural: str | None = None
    n: int | None = None


@dataclass(frozen=True)
class Listed:
    """Arguments said one after another, `sep` (one of SEPARATORS) between them."""

    items: tuple["Arg", ...]
    sep: str = "; "


Arg = str | int | Money | Day | Moment | Percent | Text | Listed


def say(arg: Arg, near: date | None = None) -> str:
    """`arg` in the language in use; a date in Chinese shows its year unless it is `near`'s."""
    if isinstance(arg, Text):
        chosen = arg.msgid if arg.plural is None or arg.n == 1 else arg.plural
        return _(chosen).format(**{k: say(v, near) for k, v in arg.args.items()})
    if isinstance(arg, Money):
        write = formats.big_money if arg.big else formats.money
        return write(arg.amount, arg.currency)
    if isinstance(arg, Day):
        return formats.day(arg.value, near=near)
    if isinstance(arg, Moment):
        return _moment(arg, near)
    if isinstance(arg, Percent):
        return formats.percent(arg.value)
    if isinstance(arg, Listed):
        return _(arg.sep).join(say(item, near) for item in arg.items)
    return str(arg)


def english(arg: Arg) -> str:
    """`arg` in English: what is kept as the text."""
    with use(EN):
        return say(arg)


def _moment(arg: Moment, near: date | None) -> str:
    if arg.utc:
        if current() == ZH:
            return formats.moment(arg.value, UTC, near=near)  # names its zone: （UTC）
        return f"{arg.value.astimezone(UTC):%Y-%m-%d %H:%M} UTC"
    try:
        zone = ZoneInfo(arg.zone)
        local = arg.value.astimezone(zone)
    except (OverflowError, ValueError, KeyError):  # a time at an end of the calendar
        return f"{arg.value.astimezone(UTC).isoformat(timespec='minutes')} (UTC)"
    if current() == ZH:
        return formats.moment(arg.value, zone, near=near)
    return f"{local:%Y-%m-%d %H:%M} ({arg.zone})"


def to_json(arg: Arg) -> Any:
    """`arg` as JSON data (see the module's note)."""
    if isinstance(arg, Text):
        data: dict[str, Any] = {
            "id": arg.msgid,
            "args": {k: to_json(v) for k, v in arg.args.items()},
        }
        if arg.plural is not None:
            data |= {"plural": arg.plural, "n": arg.n}
        return data
    if isinstance(arg, Money):
        money: dict[str, Any] = {"money": str(arg.amount), "currency": arg.currency}
        return money | {"big": True} if arg.big else money
    if isinstance(arg, Day):
        return {"date": arg.value.isoformat()}
    if isinstance(arg, Moment):
        moment = {"moment": arg.value.astimezone(UTC).isoformat(), "zone": arg.zone}
        return moment | {"utc": True} if arg.utc else moment
    if isinstance(arg, Percent):
        return {"percent": str(arg.value)}
    if isinstance(arg, Listed):
        return {"list": [to_json(item) for item in arg.items], "sep": arg.sep}
    return arg


def from_json(data: Any) -> Arg:
    """An argument from its JSON data; ValueError for data that is none."""
    if isinstance(data, str) or (isinstance(data, int) and not isinstance(data, bool)):
        return data
    if not isinstance(data, Mapping):
        raise ValueError(f"not a worded argument: {data!r}")
    if "id" in data:
        args = data.get("args") or {}
        n = data.get("n")
        return Text(
            str(data["id"]),
            {str(k): from_json(v) for k, v in args.items()},
            None if data.get("plural") is None else str(data["plural"]),
            None if n is None else int(n),
        )
    if "money" in data:
        return Money(
            Decimal(str(data["money"])), str(data.get("currency") or "CNY"), bool(data.get("big"))
        )
    if "date" in data:
        return Day(date.fromisoformat(str(data["date"])))
    if "moment" in data:
        moment = datetime.fromisoformat(str(data["moment"]))
        if moment.tzinfo is None:
            raise ValueError(f"a moment without its offset: {data!r}")
        return Moment(moment, str(data.get("zone") or "UTC"), bool(data.get("utc")))
    if "percent" in data:
        return Percent(Decimal(str(data["percent"])))
    if "list" in data:
        return Listed(tuple(from_json(item) for item in data["list"]), str(data.get("sep", "; ")))
    raise ValueError(f"not a worded argument: {data!r}")


@dataclass(frozen=True)
class Wording:
    """How a summary and its facts (label → value) were worded. Each label is an English
    message id; a value is any argument (plain data is shown as it is). `year` is the year
    it was worded in: a date of that year is said without it in Chinese."""

    summary: Text
    facts: tuple[tuple[str, Arg], ...] = ()
    year: int | None = None

    @classmethod
    def of(cls, summary: Text, facts: Iterable[tuple[str, Arg]] = ()) -> "Wording":
        return cls(summary, tuple(facts))

    def english_summary(self) -> str:
        return english(self.summary)

    def english_facts(self) -> dict[str, str]:
        return {label: english(value) for label, value in self.facts}

    @property
    def near(self) -> date | None:
        return None if self.year is None else date(self.year, 1, 1)

    def said_summary(self) -> str:
        """The summary in the language in use."""
        return say(self.summary, self.near)

    def said_facts(self) -> dict[str, str]:
        """Label → value, each in the language in use."""
        return {_(label): say(value, self.near) for label, value in self.facts}

    def in_year(self, year: int) -> "Wording":
        return Wording(self.summary, self.facts, year)

    def to_json(self) -> dict[str, Any]:
        data: dict[str, Any] = {
            "summary": to_json(self.summary),
            "facts": [[label, to_json(value)] for label, value in self.facts],
        }
        return data if self.year is None else data | {"year": self.year}

    @classmethod
    def from_json(cls, data: Mapping[str, Any]) -> "Wording":
        """The wording kept as JSON; ValueError (or KeyError, TypeError) for what is not one."""
        summary = from_json(data["summary"])
        if not isinstance(summary, Text):
            raise ValueError(f"a summary that is no text: {data['summary']!r}")
        facts = tuple((str(label), from_json(value)) for label, value in data.get("facts") or ())
        year = data.get("year")
        return cls(summary, facts, None if year is None else int(year))
