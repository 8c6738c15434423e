"""How to read one bank's statement export: `loanwatch mapping add` saves it, `import --mapping`
uses it (docs/ledger.md, "Importing any bank's export")."""

from datetime import datetime
from typing import Any

from sqlalchemy import JSON, Integer, String
from sqlalchemy.orm import Mapped, mapped_column

from bot.models.base import Base
from bot.models.types import UTCDateTime


class StatementMapping(Base):
    """One saved mapping, by name: what its rows are (bills, repayments or limits), which of the
    export's columns holds each field, and how its dates and bytes are written."""

    __tablename__ = "statement_mappings"

    id: Mapped[int] = mapped_column(primary_key=True)
    name: Mapped[str] = mapped_column(String(64), unique=True)
    kind: Mapped[str] = mapped_column(String(16))
    # {field: the export's column header}, e.g. {"paid_on": "交易日期", "amount": "交易金额"}.
    columns: Mapped[dict[str, Any]] = mapped_column(JSON)
    date_format: Mapped[str | None] = mapped_column(String(64))
    encoding: Mapped[str] = mapped_column(String(16))
    skip_rows: Mapped[int] = mapped_column(Integer)
    # {column header: text}: only rows whose cell contains the text are imported, e.g.
    # {"交易摘要": "还款"} keeps a bank's repayment rows; the others are counted as skipped.
    row_filter: Mapped[dict[str, Any] | None] = mapped_column(JSON)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime())
    created_by: Mapped[str] = mapped_column(String(200))
