"""The 13-week cash-flow chart: repayments stacked by facility per week, available credit a line.

Drawn with matplotlib's Agg canvas on a `Figure` of its own (never pyplot: no display, no global
figure shared between threads) into a PNG of WIDTH × HEIGHT pixels. Facility names are often
Chinese (借呗主额度), which matplotlib's own DejaVu Sans lacks: every text on the chart is set
in Noto Sans CJK SC, the OTF the `mplfonts` package ships (SIL Open Font License), found on
disk without importing that package. Its words are in the language in use (the digest's channel's),
said when it is drawn. The largest facilities get a bar segment each; the others
share one ("others"), so a portfolio of 500 lines still draws a legend one can read.
"""

import io
from collections.abc import Iterable
from datetime import date
from decimal import Decimal
from functools import cache
from importlib.util import find_spec
from pathlib import Path
from typing import TYPE_CHECKING

from bot.digest.cashflow import Cashflow
from bot.digest.text import chart_word
from bot.i18n import ZH, current

if TYPE_CHECKING:
    from matplotlib.figure import Figure

WIDTH, HEIGHT, DPI = 1200, 675, 100
# Facilities drawn apart; the rest are stacked together as "others".
SHOWN_FACILITIES = 8
# A legend name longer than this is cut with "…" (a full name is in the digest's text).
LEGEND_CHARS = 14
# The axes' place in the figure (fractions of it), and where the legend starts, in axes widths.
MARGINS = {"left": 0.08, "right": 0.70, "bottom": 0.10, "top": 0.92}
LEGEND_AT = 1.14
FONT_FILE = "NotoSansCJKsc-Regular.otf"
LINE_COLOUR = "#222222"


@cache
def cjk_font_path() -> Path:
    """Where Noto Sans CJK SC is installed (the `mplfonts` distribution's fonts folder)."""
    spec = find_spec("mplfonts")
    if spec is None or not spec.submodule_search_locations:
        raise RuntimeError("the mplfonts package (its CJK font) is not installed")
    path = Path(next(iter(spec.submodule_search_locations))) / "fonts" / FONT_FILE
    if not path.is_file():
        raise RuntimeError(f"{FONT_FILE} is missing from the mplfonts package at {path.parent}")
    return path


def _pixels(amounts: Iterable[Decimal]) -> list[float]:
    """Amounts as matplotlib places them. The one place money becomes float: only to draw
    pixels; every number a person reads (labels, the digest, the CSV) stays Decimal."""
    return [float(amount) for amount in amounts]


def cashflow_figure(flow: Cashflow, *, title: str) -> "Figure":
    """The chart as a matplotlib Figure on an Agg canvas (tests read its axes)."""
    from matplotlib.backends.backend_agg import FigureCanvasAgg
    from matplotlib.figure import Figure
    from matplotlib.font_manager import FontProperties
    from matplotlib.ticker import StrMethodFormatter

    font = FontProperties(fname=cjk_font_path())
    figure = Figure(figsize=(WIDTH / DPI, HEIGHT / DPI), dpi=DPI)
    FigureCanvasAgg(figure)
    bars = figure.add_subplot()
    positions = list(range(len(flow.weeks)))
    bottoms = [0.0] * len(flow.weeks)
    for label, amounts in _stacks(flow):
        heights = _pixels(amounts)
        bars.bar(positions, heights, bottom=bottoms, label=label, width=0.7)
        bottoms = [b + h for b, h in zip(bottoms, heights, strict=True)]
    credit = bars.twinx()
    available = _pixels(flow.available)
    credit.plot(
        positions,
        available,
        color=LINE_COLOUR,
        marker="o",
        label=chart_word("available"),
    )
    bars.set_xticks(positions, [_tick(week) for week in flow.weeks])
    bars.set_xlabel(chart_word("weeks"), fontproperties=font)
    bars.set_ylabel(chart_word("repayments").format(currency=flow.currency), fontproperties=font)
    credit.set_ylabel(
        chart_word("available_axis").format(currency=flow.currency), fontproperties=font
    )
    bars.set_title(title, fontproperties=font)
    # From 0 (credit is never below it), with room above the line's highest point.
    credit.set_ylim(0, max(available, default=0.0) * 1.1 or 1.0)
    handles, labels = bars.get_legend_handles_labels()
    more, more_labels = credit.get_legend_handles_labels()
    if handles or more:
        # One column right of the axes, each name cut to LEGEND_CHARS (`_stacks`): however many
        # lines and however long their names, the legend's size is bounded and stays in the image.
        bars.legend(
            handles + more,
            labels + more_labels,
            prop=font,
            loc="center left",
            bbox_to_anchor=(LEGEND_AT, 0.5),
            borderaxespad=0,
        )
    for axis in (bars.yaxis, credit.yaxis):  # 120,000 rather than an offset such as 1e5
        axis.set_major_formatter(StrMethodFormatter("{x:,.0f}"))
    for text in [*bars.get_xticklabels(), *bars.get_yticklabels(), *credit.get_yticklabels()]:
        text.set_fontproperties(font)
    # Fixed margins, not tight_layout: its fit gives up (with a warning) on a wide legend.
    figure.subplots_adjust(**MARGINS)
    return figure


def cashflow_png(flow: Cashflow, *, title: str) -> bytes:
    """The chart as PNG bytes, WIDTH × HEIGHT pixels."""
    buffer = io.BytesIO()
    cashflow_figure(flow, title=title).savefig(buffer, format="png", dpi=DPI)
    return buffer.getvalue()


def _tick(week: date) -> str:
    """A week's Monday under its bar: `12-07`; in Chinese `12/7`."""
    return f"{week.month}/{week.day}" if current() == ZH else week.strftime("%m-%d")


def _cut(label: str) -> str:
    """`label`, cut to LEGEND_CHARS characters with "…" when longer."""
    return label if len(label) <= LEGEND_CHARS else label[: LEGEND_CHARS - 1] + "…"


def _stacks(flow: Cashflow) -> list[tuple[str, list]]:
    """(legend label, amount per week) for each facility drawn apart, then "others"."""
    index = {week: n for n, week in enumerate(flow.weeks)}
    per_facility: dict[str, list] = {}
    names: dict[str, str] = {}
    for line in flow.lines:
        if line.currency != flow.currency:
            continue
        amounts = per_facility.setdefault(line.facility, [0] * len(flow.weeks))
        amounts[index[line.week_start]] += line.amount
        names[line.facility] = line.name or line.facility
    ranked = sorted(per_facility, key=lambda slug: (-sum(per_facility[slug]), slug))
    stacks = [(_cut(names[slug]), per_facility[slug]) for slug in ranked[:SHOWN_FACILITIES]]
    rest = ranked[SHOWN_FACILITIES:]
    if rest:
        others = [sum(per_facility[slug][n] for slug in rest) for n in range(len(flow.weeks))]
        stacks.append((chart_word("others").format(count=len(rest)), others))
    return stacks
