"""`/loan` in Chinese: each person's own language, Chinese subcommand names and terms.

Signed requests through the real server: a user whose Slack locale is zh-CN reads help, errors
and the draw form in Chinese while an en-US user in the same channel reads English; `/loan 借款
jiebei-main 5万 12期 供应商定金` logs the draw. A pseudo-locale app (the workspace's language
x-pseudo, read by a user whose locale is neither Chinese nor English) shows that every reply
and error of /loan went through the catalogs.
"""

from collections.abc import Iterator
from decimal import Decimal

import pytest
from slack_sdk.models.views import View
from sqlalchemy import select

from bot.i18n import PSEUDO
from bot.models import Draw
from bot.slack.blocks import validate
from bot.slack.draw_replies import CANCEL_ACTION, CONFIRM_ACTION
from tests.slack.test_draw_flow import answer as click_answer
from tests.support.pseudo import texts_of, unmarked
from tests.support.slack_app import ALICE, BOB, DANA, SlackApp, app_settings

# Data, not English: the facility, the slash command, Slack's emoji code, the platform's name.
DATA = {"jiebei-main", "jb-1", "jb-2", "loan", "warning", "Jiebei", "Huabei", "xlsx"}


@pytest.fixture
def zh_alice(slack) -> str:
    """Alice (a treasurer) reads Slack in Chinese; Bob stays en-US."""
    slack.locales[ALICE] = "zh-CN"
    return ALICE


def opened_views(slack) -> list[dict]:
    return [v for v in slack.views if v["method"] == "views.open"]


def test_help_is_in_each_persons_language(app, zh_alice) -> None:
    """Same channel, same command: Alice gets Chinese (with the Chinese names), Bob English."""
    chinese = app.command("help", user=ALICE).text
    english = app.command("help", user=BOB).text
    assert "登记借款、录入平台数据、处理告警" in chinese
    assert "（中文：`借款`）" in chinese
    assert "（中文：`值班`）" in chinese
    assert "登记借款并查看还款计划" in chinese
    assert "期限：12期、12个月" in chinese
    assert "log draws, record what the platforms show, work alerts:" in english
    assert "借款" not in english


def test_help_shows_the_import_and_ticket_usages_in_chinese(app, zh_alice) -> None:
    chinese = app.command("help", user=ALICE).text
    assert "import 额度 [--mapping 映射名 | --format alipay|bills|limits]，然后上传文件" in chinese
    assert "ticket note T-n 备注" in chinese
    english = app.command("help", user=BOB).text
    assert "import FACILITY [--mapping NAME | --format alipay|bills|limits], then share" in english


def test_chinese_help_is_reached_by_its_chinese_name_too(app, zh_alice) -> None:
    assert "中文：`还款`" in app.command("帮助", user=ALICE).text


def test_a_payoff_quote_by_its_chinese_name(app, jiebei, zh_alice) -> None:
    """`/loan 结清 jiebei-main` is `/loan payoff jiebei-main`: the quote, in Chinese; help
    names 结清, 导入 and 摘要 beside payoff, import and digest."""
    app.command("借款 jiebei-main 10,000 12期", user=ALICE)
    quote = app.command("结清 jiebei-main", user=ALICE).text
    helped = app.command("帮助", user=ALICE).text

    assert "¥10,000.00" in quote
    assert "jiebei-main" in quote
    assert "未知" not in quote
    for alias in ("结清", "导入", "摘要"):
        assert f"（中文：`{alias}`）" in helped


def test_a_bad_amount_is_explained_in_each_persons_language(app, jiebei, zh_alice) -> None:
    chinese = app.command("借款 jiebei-main abc 12期", user=ALICE).text
    english = app.command("draw jiebei-main abc 12m", user=DANA).text
    assert '金额"abc"不是有效金额' in chinese
    assert "用法：`/loan draw 额度代号 金额 期限" in chinese
    assert 'amount "abc" is not an amount' in english
    assert "Usage: `/loan draw FACILITY AMOUNT TERM" in english


def test_an_unknown_subcommand_and_a_refusal_in_chinese(app, slack) -> None:
    slack.locales[BOB] = "zh-CN"
    assert "没有 `lend` 这个子命令" in app.command("lend", user=BOB).text
    # Bob is not a treasurer: drawing is refused, in his language.
    refused = app.command("借款 jiebei-main 5万 12期", user=BOB).text
    assert refused.startswith("只有资金主管可以登记借款。")


def test_the_draw_form_is_in_each_persons_language(app, jiebei, zh_alice, slack) -> None:
    app.command("借款", user=ALICE)
    app.command("draw", user=DANA)
    chinese, english = opened_views(slack)
    assert chinese["title"]["text"] == "登记支用"
    labels = [b["label"]["text"] for b in chinese["blocks"]]
    assert labels == ["授信额度", "金额", "期限", "还款方式", "备注"]
    methods = [o["text"]["text"] for o in chinese["blocks"][3]["element"]["options"]]
    assert methods[:2] == ["等额本息", "等额本金"]
    assert english["title"]["text"] == "Log a draw"
    for view in (chinese, english):
        View(**{k: v for k, v in view.items() if k not in ("method", "trigger_id")}).validate_json()


def test_the_draw_forms_errors_are_in_chinese(app, jiebei, zh_alice, slack) -> None:
    app.command("借款", user=ALICE)
    [view] = opened_views(slack)

    def typed(value):
        return {"value": {"type": "plain_text_input", "value": value}}

    values = {
        "facility": {"value": {"type": "static_select", "selected_option": None}},
        "amount": typed("-5"),
        "term": typed("永远"),
        "method": {"value": {"type": "static_select", "selected_option": None}},
        "note": typed(None),
    }
    errors = app.submit(view, values, user=ALICE).body["errors"]
    assert errors["facility"] == "请选择这笔钱来自哪个授信额度。"
    assert "是负数" in errors["amount"]
    assert "不是有效期限" in errors["term"]


@pytest.mark.parametrize("term", ["12期", "12个月", "12 期", "１２期", "12 个月"])
def test_a_draw_in_chinese_is_logged(app, jiebei, zh_alice, sessions, term) -> None:
    """`/loan 借款 jiebei-main 5万 12期 供应商定金`: ¥50,000.00 over 12 months, that note."""
    answer = app.command(f"借款 jiebei-main 5万 {term} 供应商定金", user=ALICE)
    assert answer.body["response_type"] == "in_channel"
    with sessions() as session:
        draw = session.scalars(select(Draw)).one()
    assert (draw.amount, draw.months, draw.note) == (Decimal("50000.00"), 12, "供应商定金")
    assert "登记借款 #" in answer.text
    assert "¥50,000.00，12期，日利率 0.04%，等额本息 — 供应商定金" in answer.text
    assert "首期还款日 *2027年1月1日（周五）*" in answer.text
    assert "总利息" in answer.text


def test_the_same_draw_again_is_asked_about_in_chinese(app, jiebei, zh_alice, slack) -> None:
    """The "log another?" question, its buttons and what a click answers, in Chinese; the
    schedule itself with a long Chinese note passes Slack's checks."""
    note = "供应商定金（华东区一季度备货，合同编号见附件）" * 40
    logged = app.command(f"借款 jiebei-main 5万 12期 {note}", user=ALICE)
    validate(logged.body["blocks"])
    question = app.command("借款 jiebei-main 5万 12期", user=ALICE)
    assert "分钟前已在 *jiebei-main* 登记过 ¥50,000.00（借款 #1）" in question.text
    buttons = [e["text"]["text"] for e in question.body["blocks"][1]["elements"]]
    assert buttons == ["再登记一笔", "取消"]
    validate(question.body["blocks"])
    schedule = click_answer(app, slack, question, CONFIRM_ACTION, ALICE)
    assert slack.responses[-2]["text"] == "已登记，还款计划已发到频道。"
    assert "登记借款 #2" in schedule
    again = app.command("借款 jiebei-main 5万 12期", user=ALICE)
    assert click_answer(app, slack, again, CANCEL_ACTION, ALICE) == "未登记：已取消。"


def test_chinese_words_after_the_numbers(app, jiebei, slack, sessions) -> None:
    """`账单 … 已还` and `额度 … 可用 … 冻结`, as a Chinese operator types them."""
    slack.locales[BOB] = "zh-CN"
    bill = app.command("账单 jiebei-main 2026-12-10 899.75 已还", user=BOB).text
    assert bill == "已录入 *jiebei-main* 的账单 #1：¥899.75，到期日 2026年12月10日（周四），已还"
    limit = app.command("额度 jiebei-main 20万 可用 15万 冻结", user=BOB).text
    assert "额度 ¥200,000.00（20万），可用 ¥150,000.00（15万），已冻结" in limit


def test_an_error_on_loanwatchs_side_is_told_in_the_persons_language(
    app, jiebei, zh_alice, monkeypatch
) -> None:
    """The error handler runs outside the request's language; it looks the person up again."""
    from bot.slack.commands import ledger

    def broken(*args, **kwargs):
        raise RuntimeError("boom")

    monkeypatch.setattr(ledger, "positions", broken)
    chinese = app.command("借款", user=ALICE).text
    english = app.command("draw", user=DANA).text
    assert chinese.startswith("loanwatch 出错了（参考号 ")
    assert english.startswith("Something went wrong on loanwatch's side (reference ")


# --- the pseudo-locale: every text of /loan went through the catalogs -----------------------


@pytest.fixture
def pseudo_app(database_url, slack, sessions, clock) -> Iterator[SlackApp]:
    """An app whose workspace language is the pseudo-locale; its users' Slack says ja-JP, so
    they read the workspace's language."""
    for user in (ALICE, BOB, DANA):
        slack.locales[user] = "ja-JP"
    settings = app_settings(database_url, slack.api_url, LOANWATCH_LANGUAGE=PSEUDO)
    with SlackApp.start(settings, sessions, clock=clock) as running:
        yield running


PSEUDO_COMMANDS = [
    (ALICE, "help"),
    (BOB, "snooze 1 forever"),
    (BOB, "snooze 1 -4h"),
    (BOB, "snooze 1 0m"),
    (ALICE, "lend"),
    (ALICE, "draw jiebei-main 5万 12期 供应商定金"),
    (ALICE, "draw jiebei-main 5万 12期"),  # the same again: "log another?"
    (ALICE, "draw confirm jiebei-main 1"),
    (ALICE, "draw confirm jiebei-main 1"),
    (ALICE, "draw confirm jiebei-main"),
    (ALICE, "repay jiebei-main 1,000 2026-12-01 提前还款"),
    (ALICE, "repay jiebei-main"),
    (ALICE, "repay jiebei-main 1000 2030-01-01"),
    (ALICE, "payoff jiebei-main"),
    (ALICE, "payoff jiebei-main 2026-13-01"),
    (BOB, "bill jiebei-main 2026-12-10 899.75 paid"),
    (BOB, "bill jiebei-main 2026-12-10 900"),
    (BOB, "bill jiebei-main 2026-12-10 900"),
    (BOB, "bill jiebei-main 2026-12-10 abc"),
    (BOB, "bill jiebei-main 20261210 900"),
    (BOB, "bill jiebei-main 2026-12-10 900 maybe"),
    (ALICE, "bill remove jiebei-main 2026-12-10 录错"),
    (ALICE, "bill remove jiebei-main 2026-12-11 录错"),
    (BOB, "limit jiebei-main 200k available 150k frozen"),
    (BOB, "limit jiebei-main 200k"),
    (BOB, "limit jiebei-main 200k available"),
    (BOB, "limit jiebei-main 200k maybe"),
    (BOB, "limit jiebei-main 1e5"),
    (ALICE, "draw jiebei-main 5万"),
    (ALICE, "draw jiebei-main 50,000 forever"),
    (ALICE, "draw jiebei-main 50,000 400m"),
    (ALICE, "draw jiebei-main 300,000 12m"),
    (ALICE, "draw jiebei-main 1,2,3 12m"),
    (ALICE, "draw jb-1 5000 12m"),
    (ALICE, "draw jiebei-main 12.345 12m"),
    (ALICE, "draw jiebei-main 0 12m"),
    (ALICE, "draw jiebei-main -5 12m"),
    (BOB, "draw jiebei-main 5000 12m"),
    (DANA, "facility list"),
    (DANA, "facility bogus"),
    (DANA, "facility add jb-1 jiebei"),
    (DANA, "facility add JB! jiebei 10万"),
    (DANA, "facility add jb-2 jiebei 10万 5%"),
    (DANA, "facility add jb-2 jiebei 10万 0.04% 0.05%"),
    (BOB, "facility add jb-2 jiebei 10万"),
    (DANA, "facility add jb-2 jiebei 10万 0.05% C0ALERTS"),
    (DANA, "facility add jb-2 jiebei 10万"),
    (DANA, "facility list"),
]


def test_every_reply_and_error_of_loan_goes_through_the_catalogs(pseudo_app, jiebei, slack) -> None:
    seen = []
    for user, text in PSEUDO_COMMANDS:
        answer = pseudo_app.command(text, user=user)
        assert answer.status == 200, text
        seen.append((text, answer.body))
    left = [(text, unmarked(texts_of(body), allowed=DATA)) for text, body in seen]
    assert [(text, words) for text, words in left if words] == []


def test_the_draw_form_and_its_errors_go_through_the_catalogs(pseudo_app, jiebei, slack) -> None:
    pseudo_app.command("draw", user=ALICE)
    [view] = opened_views(slack)
    assert unmarked(texts_of(view), allowed=DATA) == []

    def typed(value):
        return {"value": {"type": "plain_text_input", "value": value}}

    values = {
        "facility": {"value": {"type": "static_select", "selected_option": None}},
        "amount": typed("abc"),
        "term": typed("forever"),
        "method": {"value": {"type": "static_select", "selected_option": None}},
        "note": typed("x" * 2001),
    }
    errors = pseudo_app.submit(view, values, user=ALICE).body["errors"]
    assert set(errors) == {"facility", "amount", "term", "note"}
    assert unmarked(errors.values(), allowed=DATA) == []


def test_a_chinese_drawers_schedule_rows_show_chinese_dates_in_a_column(
    app, jiebei, zh_alice
) -> None:
    """The schedule's rows read 2027年1月1日（周五） and 2027年10月1日（周五） alike, padded to
    one width so the amounts stay in a column; no ISO date is left."""
    answer = app.command("借款 jiebei-main 5万 12期", user=ALICE)
    text = "\n".join(texts_of(answer.body["blocks"]))
    rows = [line.strip("`") for line in text.splitlines() if "本金" in line and "¥" in line]

    assert rows
    assert "2027年1月1日（周五）" in rows[0]
    assert any("2027年10月1日（周五）" in row for row in rows)
    assert len({row.index("¥") for row in rows}) == 1
    assert "2027-01-01" not in text
