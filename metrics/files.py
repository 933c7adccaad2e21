"""Turning an uploaded CSV or XLSX file into numbered rows of text cells.

Both formats come out the same way: the header's column names, then (line, cells) for each row,
with the line number a spreadsheet or an editor shows. Whatever is wrong with the file as a file
(encoding, NUL bytes, a zip bomb, a missing sheet) is added to the report instead.
"""

import datetime
import io
import zipfile
from collections.abc import Iterator
from dataclasses import dataclass
from decimal import Decimal

from django.conf import settings

from partnerhub.csvfiles import (
    ProblemReport,
    decode_text,
    header_is_valid,
    iter_csv_records,
    read_header,
    size_text,
)

METRIC_COLUMNS = ("partner_ref", "metric", "period", "value")
ZIP_MAGIC = b"PK\x03\x04"


@dataclass
class Table:
    header: list[str]
    rows: Iterator[tuple[int, list[str]]]
    line_count: int  # for progress; an estimate is enough


def open_table(data: bytes, *, file_name: str, report: ProblemReport) -> Table | None:
    if len(data) > settings.METRIC_IMPORT_MAX_BYTES:
        report.add(None, _too_large_message(len(data)))
        return None
    if data.startswith(ZIP_MAGIC) or file_name.lower().endswith((".xlsx", ".xlsm")):
        table = _open_xlsx(data, report)
    else:
        table = _open_csv(data, report)
    if table is None or not header_is_valid(table.header, required=METRIC_COLUMNS, report=report):
        return None
    return table


def _too_large_message(size: int) -> str:
    cap = size_text(settings.METRIC_IMPORT_MAX_BYTES)
    return f"the file is {size_text(size)}; files up to {cap} can be imported"


def _open_csv(data: bytes, report: ProblemReport) -> Table | None:
    text = decode_text(data, report)
    header = read_header(text, report) if text is not None else None
    if header is None:
        return None
    return Table(
        header=header,
        rows=iter_csv_records(text, header_width=len(header), report=report),
        line_count=text.count("\n") + 1,
    )


def _open_xlsx(data: bytes, report: ProblemReport) -> Table | None:
    if not _zip_is_safe(data, report):
        return None
    import openpyxl  # imported here: only spreadsheet uploads pay for it

    try:
        workbook = openpyxl.load_workbook(io.BytesIO(data), read_only=True, data_only=True)
    except Exception:  # openpyxl raises many kinds for a damaged file
        report.add(None, "cannot be read as an Excel workbook (.xlsx); save it again or as CSV")
        return None
    if not workbook.worksheets:
        report.add(None, "the workbook has no sheet")
        return None
    sheet = workbook.worksheets[0]
    rows = sheet.iter_rows(values_only=True)
    first = next(rows, None)
    if first is None or not any(cell is not None for cell in first):
        report.add(None, "the first sheet is empty")
        return None
    header = [_cell_text(cell).strip().lower() for cell in first]
    while header and not header[-1]:
        header.pop()
    return Table(
        header=header,
        rows=_xlsx_records(rows, width=len(header), report=report),
        line_count=sheet.max_row or 1,
    )


def _zip_is_safe(data: bytes, report: ProblemReport) -> bool:
    try:
        with zipfile.ZipFile(io.BytesIO(data)) as archive:
            unpacked = sum(member.file_size for member in archive.infolist())
    except zipfile.BadZipFile:
        report.add(None, "cannot be read as an Excel workbook (.xlsx): the file is damaged")
        return False
    if unpacked > settings.METRIC_IMPORT_MAX_UNPACKED_BYTES:
        report.add(
            None,
            f"the workbook unpacks to {size_text(unpacked)}, more than the "
            f"{size_text(settings.METRIC_IMPORT_MAX_UNPACKED_BYTES)} allowed; "
            "export it as CSV instead",
        )
        return False
    return True


def _xlsx_records(rows, *, width: int, report: ProblemReport) -> Iterator[tuple[int, list[str]]]:
    for line, values in enumerate(rows, start=2):
        cells = [_cell_text(value) for value in values]
        while len(cells) > width and not cells[-1]:
            cells.pop()
        if not any(cells):
            continue
        if len(cells) != width:
            report.add(line, f"has {len(cells)} values but the header has {width} columns")
            continue
        yield line, cells


def _cell_text(value) -> str:
    """A cell as the text a CSV export of it would hold; numbers keep their shortest exact form."""
    if value is None:
        return ""
    if isinstance(value, datetime.datetime | datetime.date):
        return value.strftime("%Y-%m")
    if isinstance(value, bool):
        return str(value)
    if isinstance(value, float):
        # A spreadsheet stores a double; repr() is the shortest text that reads back to it.
        return format(Decimal(repr(value)), "f") if value == value else "NaN"
    return str(value)
