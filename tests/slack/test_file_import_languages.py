"""A statement shared in Slack and refused, told to a Chinese reader in Chinese (her Slack
locale): the refusal of the file as the mapping reads it, with the mapping's name and what to
change, and `/loan import` naming a mapping that does not exist. The file is the Agricultural
Bank of China's real export (tests/fixtures/statements/banks)."""

import pytest
from sqlalchemy import select

from bot.ledger.mappings import add_mapping
from bot.models import Repayment
from tests.slack.test_file_imports import (  # noqa: F401 - `ledger` is a fixture
    ADMIN,
    BANKS,
    arm_and_share,
    dm,
    ledger,
)
from tests.support.slack_app import ALICE


@pytest.mark.usefixtures("ledger")
def test_a_file_the_mapping_cannot_read_is_refused_in_chinese(
    app,
    sessions,
    slack,
    clock,
) -> None:
    """Alice's mapping says GB18030; the ABC export is UTF-8: her direct message says so in
    Chinese, naming the mapping and the --encoding to save it with; nothing is imported."""
    slack.locales[ALICE] = "zh-CN"
    with sessions.begin() as session:
        add_mapping(
            session,
            ADMIN,
            "abc-gbk",
            kind="repayments",
            columns="paid_on=交易日期,amount=-交易金额,note=交易摘要",
            date_format="%Y%m%d",
            encoding="gb18030",
            skip_rows=0,
            where=None,
            now=clock(),
        )
    info = slack.share_file("F0ABC", "abc-debit.csv", (BANKS / "abc-debit.csv").read_bytes())
    armed, event = arm_and_share(app, slack, "import jiebei-main --mapping abc-gbk", info)
    assert armed.status == 200
    assert app.deliver_event(event, "Ev0ABC").status == 200

    [told] = dm(slack, app, ALICE)
    assert "*abc-debit.csv*未导入*jiebei-main*" in told
    assert "第 1 行：该文件不是 GB18030 文本：它可以按 UTF-8 读取" in told
    assert "请用 --encoding utf-8 重新保存映射" in told
    assert "loanwatch mapping remove abc-gbk" in told
    assert "not GB18030" not in told
    with sessions() as session:
        assert session.scalars(select(Repayment)).all() == []


@pytest.mark.usefixtures("ledger")
def test_an_unknown_mapping_is_refused_in_chinese_naming_those_there_are(
    app,
    slack,
) -> None:
    slack.locales[ALICE] = "zh-CN"
    missing = app.command("import jiebei-main --mapping nope", user=ALICE)
    assert "没有名为 nope 的映射（现有映射：abc，wechat）" in missing.text
