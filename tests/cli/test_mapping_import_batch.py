"""`loanwatch import FILE --mapping NAME` of a long file (issue 14's third attack): a CSV past
the row limit is refused naming it, and limit readings go in as one batch, as the ingest API's
do, not one by one inside a transaction that held SQLite's write lock for an hour."""

from pathlib import Path

import pytest
from sqlalchemy import Engine, event

from bot.ledger.statements.rows import StatementError
from bot.ledger.statements.text import MAX_ROWS, csv_rows
from tests.cli.test_ledger_commands import Loanwatch, export_json, ok
from tests.cli.test_mapping_import_faults import IMPORT, loanwatch, write

__all__ = ["loanwatch"]


def test_a_csv_past_the_row_limit_is_refused_naming_it(
    loanwatch: Loanwatch, tmp_path: Path
) -> None:
    rows = "".join(f"2026/12/10,1,B{i}\n" for i in range(MAX_ROWS + 1))
    path = write(tmp_path, "big.csv", "还款日,应还金额,账单号\n" + rows)

    refused = loanwatch(IMPORT.format(path, "bb"))

    assert refused.status == 2
    assert f"line {MAX_ROWS + 1}: this CSV has more than 100,000 rows" in refused.err
    assert export_json(loanwatch, "bills") == []


def test_blank_rows_past_the_limit_are_read_over_not_kept() -> None:
    """A 10 MiB file of blank lines (what Slack lets through) is millions of rows: past the
    limit they are read over, not handed on to be held in memory, and a filled row after them
    is still refused."""
    text = "时间,额度,可用\n2026-11-01 09:00,300000,250000\n" + "\n" * (3 * MAX_ROWS)

    rows = list(csv_rows(text))

    assert len(rows) == MAX_ROWS
    assert rows[1] == (2, ["2026-11-01 09:00", "300000", "250000"])
    with pytest.raises(StatementError, match="more than 100,000 rows"):
        list(csv_rows(text + "2026-11-01 10:00,300000,250000\n"))


def test_limit_readings_go_in_as_one_batch(
    loanwatch: Loanwatch, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """300 readings: a handful of INSERTs into limit_readings, not one a row; imported again,
    all seen before; one reading differing from the stored one refuses the file by its line."""
    ok(
        loanwatch(
            'mapping add lim --kind limits --columns "observed_at=时间,limit=额度,available=可用"'
        )
    )
    lines = [f"2026-11-01 {h:02d}:{m:02d},300000,250000\n" for h in range(5) for m in range(60)]
    path = write(tmp_path, "r.csv", "时间,额度,可用\n" + "".join(lines))
    inserts: list[str] = []

    def seen(conn: object, cursor: object, statement: str, *args: object) -> None:
        if statement.lstrip().upper().startswith("INSERT INTO LIMIT_READINGS"):
            inserts.append(statement)

    event.listen(Engine, "before_cursor_execute", seen)
    try:
        first = ok(loanwatch(IMPORT.format(path, "lim"))).out
    finally:
        event.remove(Engine, "before_cursor_execute", seen)
    second = ok(loanwatch(IMPORT.format(path, "lim"))).out
    changed = write(
        tmp_path, "c.csv", "时间,额度,可用\n" + "".join(lines[:9]) + lines[9].replace("250000", "1")
    )
    refused = loanwatch(IMPORT.format(changed, "lim"))

    assert "limit readings: 300 added, 0 already present" in first
    assert len(inserts) <= 2
    assert "limit readings: 0 added, 300 already present" in second
    assert refused.status == 2
    assert "line 11: jiebei-main already has a different reading" in refused.err
    assert len(export_json(loanwatch, "limits")) == 300
