"""The 13-week cash-flow chart: a PNG of the expected size, one bar per week, every glyph drawn."""

import io
import warnings
from collections import defaultdict
from datetime import date, timedelta
from decimal import Decimal
from zoneinfo import ZoneInfo

import pytest
from matplotlib.backends.backend_agg import FigureCanvasAgg
from matplotlib.figure import Figure
from PIL import Image

from bot.digest.cashflow import Cashflow, CashflowLine
from bot.digest.chart import HEIGHT, SHOWN_FACILITIES, WIDTH, cashflow_figure, cashflow_png
from bot.digest.numbers import build_digest
from bot.digest.text import chart_title
from tests.digest.conftest import MONDAY_NINE

SHANGHAI = ZoneInfo("Asia/Shanghai")


# The chart reads no database: one (SQLite) is enough to build the digest it draws.
ON_SQLITE = pytest.mark.parametrize("database_url", ["sqlite"], indirect=True)


@pytest.fixture
def digest(portfolio, session):
    return build_digest(session, MONDAY_NINE, zone=SHANGHAI)


@ON_SQLITE
def test_the_chart_is_a_png_of_the_expected_size(digest) -> None:
    """A PNG Pillow decodes, WIDTH × HEIGHT pixels, drawn with no warning at all."""
    with warnings.catch_warnings():
        warnings.simplefilter("error")  # "Glyph … missing from font(s)" is a UserWarning
        png = cashflow_png(digest.cashflow, title=chart_title(digest))

    image = Image.open(io.BytesIO(png))
    assert image.format == "PNG"
    assert image.size == (WIDTH, HEIGHT)
    image.verify()


@ON_SQLITE
def test_the_chart_stacks_one_bar_per_week_by_facility_and_draws_available_credit(
    digest,
) -> None:
    """13 weeks: each facility's stack has a bar per week, the stack's top is the week's total,
    the legend names the facilities as the team did (in Chinese), and the line is the credit."""
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        figure = cashflow_figure(digest.cashflow, title=chart_title(digest))
        figure.canvas.draw()

    bars, credit = figure.axes
    stacks = bars.containers
    assert stacks
    assert all(len(stack.patches) == 13 for stack in stacks)
    assert {round(p.get_x() + p.get_width() / 2) for s in stacks for p in s.patches} == set(
        range(13)
    )
    tops: dict[int, float] = defaultdict(float)
    for stack in stacks:
        for n, patch in enumerate(stack.patches):
            tops[n] += patch.get_height()
    due: dict[int, Decimal] = defaultdict(Decimal)
    for line in digest.cashflow.lines:
        due[digest.cashflow.weeks.index(line.week_start)] += line.amount
    assert all(abs(tops[n] - float(due[n])) < 0.005 for n in range(13))
    legend = [text.get_text() for text in bars.get_legend().get_texts()]
    assert {"借呗主额度", "工行经营贷", "jiebei-backup"} <= set(legend)
    [line] = credit.get_lines()
    assert list(line.get_ydata()) == [float(a) for a in digest.cashflow.available]


def test_the_glyph_check_would_see_a_missing_chinese_glyph() -> None:
    """Without the CJK font, matplotlib's default font misses 借 and says so: the check above
    is not blind."""
    figure = Figure()
    FigureCanvasAgg(figure)
    figure.add_subplot().set_title("借呗主额度")
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        with pytest.raises(UserWarning, match="missing from font"):
            figure.canvas.draw()


def _many_long_names(count: int) -> Cashflow:
    """`count` facilities named with 30 Chinese characters each, all with something due in
    each of 13 weeks (the larger the number, the more is due)."""
    weeks = [date(2026, 12, 7) + timedelta(weeks=n) for n in range(13)]
    lines = [
        CashflowLine(week, f"line-{n:02d}", f"{n:02d}" + "工商银行经营贷款授信额度第一期" * 2,
                     "CNY", Decimal(1000 + 100 * n), Decimal("10.00"))
        for week in weeks
        for n in range(count)
    ]  # fmt: skip
    return Cashflow(weeks, lines, "CNY", [Decimal(500_000 + 1000 * n) for n in range(13)])


def test_sixty_long_chinese_names_keep_a_legend_inside_the_image() -> None:
    """60 facilities named in 30 Chinese characters: the legend names the largest ones and
    "others (N facilities)" for the rest, and stays whole inside the 1200 × 675 image; the
    available-credit axis starts at 0."""
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        figure = cashflow_figure(_many_long_names(60), title="Repayments due per week")
        figure.canvas.draw()

    bars, credit = figure.axes
    legend = bars.get_legend() or figure.legends[0]
    box = legend.get_window_extent()
    assert (box.x0, box.y0) >= (0, 0)
    assert (box.x1, box.y1) <= (WIDTH, HEIGHT)
    labels = [text.get_text() for text in legend.get_texts()]
    assert f"others ({60 - SHOWN_FACILITIES} facilities)" in labels
    assert labels[0].startswith("59")  # the largest first
    assert len(labels) == SHOWN_FACILITIES + 2  # the largest, the others, the credit line
    assert credit.get_ylim()[0] == 0
