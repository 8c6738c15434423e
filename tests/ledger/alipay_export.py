"""Build Alipay transaction exports for tests, in the layout of the real 2023+ export.

The shape follows ``tests/fixtures/statements/alipay-records-2023.csv``: GBK bytes, 24 lines of
export information (with the ``共N笔记录`` count), a header row, then one row per transaction with
every cell padded by spaces, the two order numbers followed by a tab, and a trailing comma.
"""

import contextlib
from decimal import Decimal, InvalidOperation

ALIPAY_COLUMNS = (
    "交易时间",
    "交易分类",
    "交易对方",
    "对方账号",
    "商品说明",
    "收/支",
    "金额",
    "收/付款方式",
    "交易状态",
    "交易订单号",
    "商家订单号",
    "备注",
)
HEADER_LINE = 25  # 1-based line of the header row in a built export
FIRST_ROW_LINE = HEADER_LINE + 1  # the line of rows[0]; rows[i] is on FIRST_ROW_LINE + i

# Every column a row leaves out gets this; 交易订单号 gets a fresh number per row instead.
DEFAULTS = {
    "交易时间": "2025-03-10 10:00:00",
    "交易分类": "日用百货",
    "交易对方": "xx便利店",
    "对方账号": "/",
    "商品说明": "商品",
    "收/支": "支出",
    "金额": "10.00",
    "收/付款方式": "余额",
    "交易状态": "交易成功",
    "商家订单号": "",
    "备注": "",
}
_TAB_AFTER = {"交易订单号", "商家订单号"}
_WIDTH = 20


def build_alipay_export(rows: list[dict[str, str]]) -> bytes:
    """An export holding ``rows`` (column name → text); unknown column names raise KeyError."""
    records = [_complete(row, number) for number, row in enumerate(rows, start=1)]
    lines = [*_preamble(records), _line(ALIPAY_COLUMNS, pad_orders=False)]
    lines += [_line([record[name] for name in ALIPAY_COLUMNS]) for record in records]
    return "".join(f"{line}\n" for line in lines).encode("gbk")


def _complete(row: dict[str, str], number: int) -> dict[str, str]:
    unknown = set(row) - set(ALIPAY_COLUMNS)
    if unknown:
        raise KeyError(f"not Alipay columns: {sorted(unknown)}")
    return {**DEFAULTS, "交易订单号": f"2025031022001{number:015d}", **row}


def _line(cells: list[str] | tuple[str, ...], *, pad_orders: bool = True) -> str:
    padded = []
    for name, cell in zip(ALIPAY_COLUMNS, cells, strict=True):
        tab = "\t" if pad_orders and name in _TAB_AFTER else ""
        padded.append(f"{cell}{tab}".ljust(_WIDTH))
    return ",".join(padded) + ","


def _preamble(records: list[dict[str, str]]) -> list[str]:
    """The 24 lines before the header, with counts and sums as Alipay writes them."""
    times = sorted(record["交易时间"] for record in records) or ["2025-03-01 00:00:00"]
    by_direction = {"收入": [0, Decimal(0)], "支出": [0, Decimal(0)], "不计收支": [0, Decimal(0)]}
    for record in records:
        tally = by_direction.setdefault(record["收/支"] or "不计收支", [0, Decimal(0)])
        tally[0] += 1
        with contextlib.suppress(InvalidOperation):  # a broken amount still counts as a record
            tally[1] += Decimal(record["金额"].replace(",", ""))
    summary = [f"{name}：{count}笔 {total:.2f}元" for name, (count, total) in by_direction.items()]
    return [
        "-" * 84,
        "导出信息：",
        "姓名：测试科技有限公司",
        "支付宝账户：finance@example.com",
        f"起始时间：[{times[0]}]    终止时间：[{times[-1]}]",
        "导出交易类型：[全部]",
        f"导出时间：[{times[-1]}]",
        f"共{len(records)}笔记录",
        *summary[:3],
        "",
        "特别提示：",
        "1.本回单内容可表明支付宝受理了相应支付交易申请，以实际交易情况为准；",
        "2.请勿将本回单作为收款方发货的凭据使用；",
        "3.请勿使用本回单进行重复记账；",
        "4.本回单如经任何涂改、编造，均立即失去效力；",
        "5.充值提现、账户转存等不计入为收入或者支出，记为不计收支类；",
        "6.明细金额直接累加后，可能会和下方统计金额不一致，请以实际交易金额为准；",
        "7.禁止将本回单用于非法用途；",
        "8.本明细仅展示当前账单中的交易，不包括已删除的记录；",
        "9.本明细仅供个人对账使用。",
        "",
        "-" * 24 + "支付宝（中国）网络技术有限公司  电子客户回单" + "-" * 24,
    ]
