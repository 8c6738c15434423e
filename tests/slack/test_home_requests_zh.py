"""Signed requests from people whose Slack is in Chinese: App Home, a reading request's direct
message, its answer and its form, and an import's report come in Chinese; a colleague whose
Slack is in English gets English."""

import copy
import json
from pathlib import Path

from slack_sdk.models.views import View

from bot.slack.reading_blocks import CHANGED_ACTION, SAME_ACTION
from tests.slack.test_file_imports import arm_and_share, dm, ledger  # noqa: F401 (a fixture)
from tests.slack.test_reading_requests import (  # noqa: F401 (owned is a fixture)
    DANA_DM,
    cycle,
    owned,
    shanghai,
)
from tests.support.slack_app import ALICE, CHARLIE, DANA

BANKS = Path(__file__).parents[1] / "fixtures" / "statements" / "banks"


def published(slack, user: str) -> dict:
    [view] = [v for v in slack.views if v["method"] == "views.publish" and v["user_id"] == user]
    return view


def test_app_home_is_in_each_persons_language(app, jiebei, slack) -> None:
    slack.locales[CHARLIE] = "zh-CN"
    slack.locales[ALICE] = "en-US"
    assert app.event({"type": "app_home_opened", "user": CHARLIE, "tab": "home"}).status == 200
    assert app.event({"type": "app_home_opened", "user": ALICE, "tab": "home"}).status == 200
    chinese = published(slack, CHARLIE)
    english = published(slack, ALICE)
    shown = json.dumps(chinese, ensure_ascii=False)
    for said in ("授信额度", "*额度*\\n¥200,000.00（20万）", "本周到期账单", "未处理告警（0）"):
        assert said in shown, said
    assert "Credit lines" not in shown
    assert "*Limit*\\n¥200,000.00" in json.dumps(english, ensure_ascii=False)
    View(**chinese).validate_json()


def test_a_reading_request_its_form_and_its_answer_in_the_owners_chinese(
    app,
    owned,  # noqa: F811 (the fixture imported)
    sessions,
    settings,
    clock,
    slack,
) -> None:
    """Dana's Slack is in Chinese: the 10:00 question is Chinese (the worker asked Slack her
    locale), the Changed… form too, and the message once she answers."""
    slack.locales[DANA] = "zh-CN"
    clock.now = shanghai(2026, 12, 1, 10, 0)
    cycle(sessions, settings, clock)
    [question] = slack.messages(DANA_DM)
    assert question.text == (
        "借呗 jiebei-main：平台现在显示的额度是多少？上次读数：额度¥300,000，可用¥216,689.32"
        "（昨天 10:04）"
    )
    buttons = json.dumps(question.blocks, ensure_ascii=False)
    assert "与上次相同" in buttons
    assert "有变化…" in buttons
    asked = copy.deepcopy(question)
    clock.now = shanghai(2026, 12, 1, 10, 7)

    assert app.click(asked, DANA_DM, CHANGED_ACTION, user=DANA).status == 200
    [form] = [v for v in slack.views if v["method"] == "views.open"]
    assert form["title"]["text"] == "平台显示的额度"
    assert "台账预计可用额度为" in json.dumps(form, ensure_ascii=False)
    View(**{k: v for k, v in form.items() if k not in ("method", "trigger_id")}).validate_json()

    assert app.click(asked, DANA_DM, SAME_ACTION, user=DANA).status == 200
    [answered] = slack.messages(DANA_DM)
    assert answered.text == (
        "已于12月1日（周二）10:07为jiebei-main记录：额度¥300,000，可用¥216,689.32（与上次相同）。"
    )


def test_an_import_report_in_the_importers_chinese(app, ledger, slack) -> None:  # noqa: F811
    slack.locales[ALICE] = "zh-CN"
    info = slack.share_file("F0ABC", "abc-debit.csv", (BANKS / "abc-debit.csv").read_bytes())
    armed, event = arm_and_share(app, slack, "import jiebei-main --mapping abc", info)
    assert armed.status == 200
    assert "请在 10 分钟内" in armed.text
    assert "导入*jiebei-main*（使用映射*abc*）" in armed.text
    assert app.deliver_event(event, "Ev0ABC").status == 200
    [report] = dm(slack, app, ALICE)
    assert report.startswith("已将*abc-debit.csv*导入*jiebei-main*。")
