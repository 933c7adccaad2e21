"""Turning an uploaded CSV or XLSX file into numbered rows of text cells.

Both formats come out the same way: the header's column names, then (line, cells) for each row,
with the line number a spreadsheet or an editor shows. Whatever is wrong with the file as a file
(encoding, NUL bytes, a zip bomb, an oversized cell, a missing sheet) is added to the report.

Files are read from disk as a stream, never whole: a worker's memory does not grow with the
file (bench/README.md has the peaks).
"""

import datetime
import re
import zipfile
from collections.abc import Iterator
from dataclasses import dataclass
from decimal import Decimal
from typing import BinaryIO

from django.conf import settings

from partnerhub.csvfiles import ProblemReport, file_size, header_is_valid, read_csv, size_text

METRIC_COLUMNS = ("partner_ref", "metric", "period", "value")
ZIP_MAGIC = b"PK\x03\x04"
# openpyxl holds a cell's text, and the whole shared-text table, in memory: both are bounded
# before it opens the workbook.
MAX_CELL_BYTES = 100_000
MAX_SHARED_TEXT_BYTES = 20_000_000
TEXT_RUN_TOO_LONG = re.compile(rb"[^<]{%d}" % (MAX_CELL_BYTES + 1))


@dataclass
class Table:
    header: list[str]
    rows: Iterator[tuple[int, list[str]]]
    line_count: int  # for progress; an estimate is enough


def open_table(stream: BinaryIO, *, file_name: str, report: ProblemReport) -> Table | None:
    size = file_size(stream)
    if size > settings.METRIC_IMPORT_MAX_BYTES:
        report.add(None, _too_large_message(size))
        return None
    if is_workbook(stream, file_name=file_name):
        table = _open_xlsx(stream, report)
    else:
        table = _open_csv(stream, size, report)
    if table is None or not header_is_valid(table.header, required=METRIC_COLUMNS, report=report):
        return None
    return table


def is_workbook(stream: BinaryIO, *, file_name: str) -> bool:
    """Whether the upload is an Excel workbook, by its name or its first bytes (a zip)."""
    magic = stream.read(len(ZIP_MAGIC))
    stream.seek(0)
    return magic == ZIP_MAGIC or file_name.lower().endswith((".xlsx", ".xlsm"))


def _too_large_message(size: int) -> str:
    cap = size_text(settings.METRIC_IMPORT_MAX_BYTES)
    return f"the file is {size_text(size)}; files up to {cap} can be imported"


def _open_csv(stream: BinaryIO, size: int, report: ProblemReport) -> Table | None:
    opened = read_csv(stream, report)
    if opened is None:
        return None
    header, rows = opened
    # For the progress bar: lines are ~35 bytes in a typical metric file.
    return Table(header=header, rows=rows, line_count=max(size // 35, 1))


def _open_xlsx(stream: BinaryIO, report: ProblemReport) -> Table | None:
    if not _zip_is_safe(stream, report):
        return None
    import openpyxl  # imported here: only spreadsheet uploads pay for it

    stream.seek(0)
    try:
        workbook = openpyxl.load_workbook(stream, read_only=True, data_only=True)
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


def _zip_is_safe(stream: BinaryIO, report: ProblemReport) -> bool:
    try:
        with zipfile.ZipFile(stream) as archive:
            return _workbook_fits(archive, report)
    except (zipfile.BadZipFile, zipfile.LargeZipFile, EOFError, ValueError, OSError):
        report.add(None, "cannot be read as an Excel workbook (.xlsx): the file is damaged")
        return False


def _workbook_fits(archive: zipfile.ZipFile, report: ProblemReport) -> bool:
    members = archive.infolist()
    unpacked = sum(member.file_size for member in members)
    if unpacked > settings.METRIC_IMPORT_MAX_UNPACKED_BYTES:
        report.add(
            None,
            f"the workbook unpacks to {size_text(unpacked)}, more than the "
            f"{size_text(settings.METRIC_IMPORT_MAX_UNPACKED_BYTES)} allowed; "
            "export it as CSV instead",
        )
        return False
    for member in members:
        name = member.filename
        if name == "xl/sharedStrings.xml" and member.file_size > MAX_SHARED_TEXT_BYTES:
            report.add(
                None,
                f"the workbook's text table unpacks to {size_text(member.file_size)}, more "
                f"than the {size_text(MAX_SHARED_TEXT_BYTES)} allowed; export it as CSV instead",
            )
            return False
        xml_part = name == "xl/sharedStrings.xml" or name.startswith("xl/worksheets/")
        if xml_part and name.endswith(".xml") and not _cells_fit(archive, member):
            report.add(
                None,
                f"a cell of the workbook ({name}) holds more than {size_text(MAX_CELL_BYTES)} "
                "of text; metric files hold keys, months and numbers",
            )
            return False
    return True


def _cells_fit(archive: zipfile.ZipFile, member: zipfile.ZipInfo) -> bool:
    """Whether no text between two XML tags of `member` is longer than MAX_CELL_BYTES, read a
    megabyte at a time (the run after the last `<` is carried to the next chunk)."""
    with archive.open(member) as xml:
        carried = b""
        while chunk := xml.read(1 << 20):
            text = carried + chunk
            if TEXT_RUN_TOO_LONG.search(text):
                return False
            carried = text[text.rfind(b"<") + 1 :]
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
