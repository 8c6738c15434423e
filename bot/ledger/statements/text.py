"""From bytes to lines and cells: decoding a statement file and reading its CSV rows."""

import csv
import io
from collections.abc import Iterator

from bot.i18n import _
from bot.ledger.statements.rows import StatementError

BOM = b"\xef\xbb\xbf"
# No statement comes near this; a file past it is refused (a workbook's sheet too, workbook.py),
# before a long file ties up the ledger for an hour in one transaction.
MAX_ROWS = 100_000
_UTF16_BOMS = (b"\xff\xfe", b"\xfe\xff")


def refuse_utf16(data: bytes) -> None:
    """A UTF-16 file (Excel's "Unicode Text", tab-separated) is refused saying what it is."""
    if data.startswith(_UTF16_BOMS):
        raise StatementError(
            _(
                'the file is UTF-16 text (what Excel saves as "Unicode Text"), not CSV: save it '
                'from Excel again as "CSV UTF-8" or "CSV"'
            )
        )


def decode(data: bytes, codec: str, name: str) -> str:
    """Decode strictly, naming the line of the first bad bytes."""
    try:
        return data.decode(codec)
    except UnicodeDecodeError as error:
        raise undecodable(data, error, name) from error


def undecodable(data: bytes, error: UnicodeDecodeError, name: str) -> StatementError:
    # Counting b"\n" is exact for UTF-8 and GB18030: neither uses 0x0A inside a character.
    line = data.count(b"\n", 0, error.start) + 1
    bad = data[error.start : error.end]
    return StatementError(
        _("the bytes {bad!r} are not {name} text; the file may be damaged, export it again").format(
            bad=bad, name=name
        ),
        line=line,
    )


def decode_table(data: bytes) -> str:
    """Decode a bills or limits CSV: UTF-8 (BOM or not), else GB18030 as Excel saves it in China."""
    if data.startswith(BOM):
        return decode(data[len(BOM) :], "utf-8", "UTF-8")
    try:
        return data.decode("utf-8")
    except UnicodeDecodeError as error:
        # Valid non-ASCII UTF-8 before the fault means a damaged UTF-8 file: reading it as
        # GB18030 could "succeed" and import garbled text.
        if any(byte >= 0x80 for byte in data[: error.start]):
            raise undecodable(data, error, "UTF-8") from error
    # GB18030 has a byte-order mark too (84 31 95 33): it is no part of the header.
    either = _(" or ").join(("UTF-8", "GB18030"))
    return decode(data, "gb18030", either).removeprefix("\ufeff")


def other_encoding(encoding: str, mapping: str) -> str:
    """Which encoding a file the mapping `mapping` (in `encoding`) cannot read is in, and how to
    change the mapping to it."""
    if encoding == "utf-8":
        return _(
            "it reads as GB18030, which Excel on a Chinese Windows saves. Save the mapping with "
            "--encoding {encoding} (loanwatch mapping remove {mapping}, then mapping add "
            '{mapping} … --encoding {encoding}), or save the file as "CSV UTF-8"'
        ).format(encoding="gb18030", mapping=mapping)
    return _(
        "it reads as UTF-8. Save the mapping with --encoding {encoding} (loanwatch mapping "
        "remove {mapping}, then mapping add {mapping} … --encoding {encoding})"
    ).format(encoding="utf-8", mapping=mapping)


def physical_lines(text: str) -> list[str]:
    return io.StringIO(text, newline="").readlines()


def cells_of(physical_line: str) -> list[str]:
    return [cell.strip() for cell in next(csv.reader([physical_line]), [])]


def csv_rows(text: str, first_line: int = 1) -> Iterator[tuple[int, list[str]]]:
    """Yield (line number where the row starts, trimmed cells) for every row, blank ones too,
    up to the `MAX_ROWS`-th; past it a filled row is refused, naming the limit, and blank rows
    are read over without being handed on (a file of blank lines would otherwise be millions
    of rows held in memory)."""
    reader = csv.reader(io.StringIO(text, newline=""))
    start = first_line
    try:
        for number, cells in enumerate(reader, start=1):
            trimmed = [cell.strip() for cell in cells]
            if number > MAX_ROWS:
                if any(trimmed):
                    raise StatementError(
                        _(
                            "this CSV has more than {rows} rows; loanwatch reads at most "
                            "{rows} rows of a statement. Split the file and import each part"
                        ).format(rows=f"{MAX_ROWS:,}"),
                        line=start,
                    )
            else:
                yield start, trimmed
            start = first_line + reader.line_num
    except csv.Error as error:
        raise StatementError(
            _("this is not valid CSV ({error})").format(error=error), line=start
        ) from error
