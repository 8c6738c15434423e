"""The digest in Chinese, in English, and under the pseudo-locale: its Slack message, its plain
text, its chart and its outbox payload. A digest built by hand, its data in Chinese or slugs
(jb-1), so that any English left in the pseudo-locale went past the catalogs."""

import io
import json
import re
import warnings
from datetime import UTC, date, datetime, timedelta
from decimal import Decimal

from PIL import Image
from slack_sdk.models.blocks import Block

from bot.digest.cashflow import Cashflow, CashflowLine
from bot.digest.chart import HEIGHT, WIDTH, cashflow_figure, cashflow_png
from bot.digest.numbers import AlertAtRisk, Digest, FacilityLine, WaitingTicket, concentration
from bot.digest.payload import digest_from_payload, digest_payload, payload_language
from bot.digest.text import chart_title, digest_text
from bot.i18n import EN, PSEUDO, ZH, use
from bot.ledger.portfolio import UpcomingLine
from bot.slack.blocks import MAX_HEADER, MAX_TEXT
from bot.slack.digest_blocks import digest_message
from tests.support.pseudo import texts_of, unmarked

TODAY = date(2026, 12, 7)  # a Monday
AS_OF = datetime(2026, 12, 7, 1, 0, tzinfo=UTC)
# Data, not English to translate: slugs, and the file names in the thread.
DATA_WORDS = {"jb-1", "wl-2", "cashflow", "png"}
EMOJI = re.compile(r":[a-z_]+:")
LONG_NAME = "蚂蚁集团借呗企业经营周转主额度（上海总部财务共享中心专用）" * 3


def _digest(facilities: int = 2, name: str = "借呗主额度", *, overdue_line: bool = True) -> Digest:
    lines = [
        FacilityLine("jb-1", name, "支付宝", "CNY", Decimal("300000.00"), Decimal("120000.00")),
        FacilityLine("wl-2", "微粒贷", "微众银行", "CNY", Decimal("100000.00"), Decimal("20000")),
    ] + [
        FacilityLine(f"jb-{n}", f"{name}{n}", "支付宝", "CNY", Decimal("50000"), Decimal("1000"))
        for n in range(3, facilities + 1)
    ]
    weeks = [TODAY + timedelta(weeks=n) for n in range(13)]
    flow = Cashflow(
        weeks=weeks,
        lines=[
            CashflowLine(
                weeks[0],
                "jb-1",
                name,
                "CNY",
                Decimal("4000"),
                Decimal("498.77"),
                overdue=Decimal("4498.77") if overdue_line else Decimal("0"),
            ),
            *[
                CashflowLine(weeks[1], f.slug, f.name, "CNY", Decimal("900"), Decimal("10"))
                for f in lines[1:]
            ],
        ],
        currency="CNY",
        available=[Decimal("180000.00") + 1000 * n for n in range(13)],
    )
    return Digest(
        as_of=AS_OF,
        day=TODAY,
        channel="C0ALERTS",
        facilities=lines,
        due=[
            UpcomingLine(date(2026, 12, 3), "jb-1", "CNY", Decimal("4498.77")),
            UpcomingLine(date(2026, 12, 10), "wl-2", "CNY", Decimal("910.00")),
        ],
        alerts=[
            AlertAtRisk(
                1,
                "critical",
                "bill_missing",
                "jb-1",
                "十二月账单未出",
                "CNY",
                Decimal("4498.77"),
                own_severity="warning",
                risk_kind="due",
            ),
            AlertAtRisk(
                2,
                "warning",
                "limit_frozen",
                "wl-2",
                "额度被冻结",
                "CNY",
                Decimal("0.00"),
                risk_kind="undrawn",
            ),
            AlertAtRisk(3, "warning", "check_failed", None, "检查运行出错", "CNY", Decimal("0")),
        ],
        tickets=[
            WaitingTicket(
                "T-1",
                "jb-1",
                "支付宝",
                "十二月账单未显示",
                datetime(2026, 12, 1, 2, tzinfo=UTC),
                2,
                True,
            ),
        ],
        concentration=concentration(lines, 60),
        concentration_percent=60,
        cashflow=flow,
    )


def _all_text(text: str, blocks: list) -> str:
    return text + "\n" + json.dumps(blocks, ensure_ascii=False)


def test_the_digest_in_chinese_reads_as_a_chinese_treasurer_writes() -> None:
    """Headings, dates as 12月3日（周四）, limits also in 万, the checks and severities by the
    glossary's words; the Slack message validates."""
    with use(ZH):
        text, blocks = digest_message(_digest())
    shown = _all_text(text, blocks)

    assert text.startswith("每日摘要 · 12月7日（周一）：2个额度，7天内到期账单2笔（逾期1笔）")
    for phrase in (
        "授信额度：额度、已用、可用、使用率",
        "jb-1（借呗主额度），支付宝：额度 ¥300,000.00（30万） · 已用 ¥120,000.00",
        "12月3日（周四） jb-1：¥4,498.77（已逾期）",
        "12月10日（周四） wl-2：¥910.00",
        "严重（原为警告，2个工作日内到期） · 告警 1 账单缺失（jb-1）：风险金额 ¥4,498.77",
        "警告 · 告警 2 额度冻结（wl-2）：未用额度风险 ¥0.00",
        "等待平台回复的工单",
        "自12月1日（周二）起等待回复，已催办2次（已超时）",
        "平台集中度（占未还本金比例）",
        "见消息列中的 cashflow-2026-12-07.png",
        "使用率 40.0%",  # no space before the sign in Chinese
        "占CNY未还总额的 85.7% :warning: 超过 60%",
    ):
        assert phrase in shown, phrase
    assert "Daily digest" not in shown
    assert "limit" not in shown


def test_the_plain_text_digest_in_chinese_has_its_weeks_and_its_channel() -> None:
    with use(ZH):
        text = digest_text(_digest())

    assert text.startswith("每日摘要 · 12月7日（周一）（C0ALERTS）")
    assert "每周应还款：自12月7日（周一）起13周（CNY）" in text
    assert (
        "12月7日（周一）：应还 ¥4,498.77（其中逾期 ¥4,498.77），还款后可用 ¥180,000.00（18万）"
        in text
    )


def test_the_digest_in_english_is_worded_as_before() -> None:
    text, blocks = digest_message(_digest())
    shown = _all_text(text, blocks)

    assert text.startswith("Daily digest · 2026-12-07: 2 facilities, 2 bills due in 7 days")
    assert "jb-1 (借呗主额度) at 支付宝: limit ¥300,000.00 · used ¥120,000.00" in shown
    assert "2026-12-03 jb-1: ¥4,498.77 overdue" in shown
    assert (
        "critical (a warning, due within 2 business days) · alert 1 bill_missing on jb-1" in shown
    )


def test_every_text_of_the_digest_goes_through_the_catalogs() -> None:
    """Under the pseudo-locale nothing English is left outside the marks: the message, its
    fallback, the plain text and the chart's words."""
    digest = _digest(facilities=20)
    with use(PSEUDO):
        text, blocks = digest_message(digest)
        plain = digest_text(digest)
        figure = cashflow_figure(digest.cashflow, title=chart_title(digest))
    bars, credit = figure.axes
    chart = [bars.get_title(), bars.get_xlabel(), bars.get_ylabel(), credit.get_ylabel()]
    chart += [t.get_text() for t in bars.get_legend().get_texts()]

    # Emoji (:red_circle:, :warning:) are Slack's names for pictures, not words.
    message = [EMOJI.sub(" ", t) for t in (text, *texts_of(blocks))]
    assert unmarked(message, allowed=DATA_WORDS) == []
    assert unmarked(plain.splitlines(), allowed=DATA_WORDS) == []
    assert unmarked(chart, allowed=DATA_WORDS) == []


def test_a_chinese_digest_of_long_chinese_names_stays_within_slacks_limits() -> None:
    """500 lines named with 90 Chinese characters each: the blocks parse back through
    slack_sdk.models, the header and every text within Slack's limits."""
    with use(ZH):
        text, blocks = digest_message(_digest(facilities=500, name=LONG_NAME))

    for raw, block in zip(blocks, Block.parse_all(blocks), strict=True):
        assert block is not None
        block.validate_json()
        if raw["type"] == "header":
            assert len(raw["text"]["text"]) <= MAX_HEADER
    assert all(1 <= len(t) <= MAX_TEXT for t in texts_of(blocks))
    assert len(text) <= MAX_TEXT
    assert "另有485个额度，见消息列中的 digest-facilities-2026-12-07.csv。" in json.dumps(
        blocks, ensure_ascii=False
    )


def test_the_chart_in_chinese_is_a_png_with_chinese_titles_axes_and_legend() -> None:
    """The words passed to matplotlib are Chinese; the PNG decodes, every glyph drawn."""
    digest = _digest(facilities=11)
    with use(ZH), warnings.catch_warnings():
        warnings.simplefilter("error")  # a glyph missing from the font is a UserWarning
        figure = cashflow_figure(digest.cashflow, title=chart_title(digest))
        png = cashflow_png(digest.cashflow, title=chart_title(digest))
    bars, credit = figure.axes

    assert bars.get_title() == "每周应还款：自12月7日（周一）起13周（CNY）"
    assert bars.get_xlabel() == "每周起始日（周一）"
    assert bars.get_ylabel() == "应还金额（CNY）"
    assert credit.get_ylabel() == "可用额度（CNY）"
    legend = [t.get_text() for t in bars.get_legend().get_texts()]
    assert "其他（3个额度）" in legend
    assert legend[-1] == "可用额度"
    assert [t.get_text() for t in bars.get_xticklabels()][:2] == ["12/7", "12/14"]
    image = Image.open(io.BytesIO(png))
    assert (image.format, image.size) == ("PNG", (WIDTH, HEIGHT))
    image.verify()


def test_the_payload_carries_its_language_and_its_text_in_it() -> None:
    """Written for a Chinese channel, the payload says so and its text is Chinese; one
    written before languages existed is English, as it was."""
    payload = json.loads(json.dumps(digest_payload(_digest(), ZH)))

    assert payload_language(payload) == ZH
    assert payload["text"].startswith("每日摘要")
    assert digest_from_payload(payload) == _digest()
    del payload["language"]
    assert payload_language(payload) == EN
