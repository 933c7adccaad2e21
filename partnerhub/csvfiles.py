"""Reading uploaded CSV files the way spreadsheets save them, with problems named by line.

Every import validates the whole file before writing anything and reports each problem with the
line number an editor shows (the header is line 1). Files saved by spreadsheets import as they
are: UTF-8 with or without a byte-order mark, CRLF line ends, quoted fields.
"""

import bisect
import codecs
import csv
import datetime
import io
import re
from collections.abc import Iterable, Iterator, Sequence
from dataclasses import dataclass, field
from typing import BinaryIO

MAX_REPORTED_PROBLEMS = 100
MAX_FIELD_CHARS = 10_000


@dataclass(frozen=True, order=True)
class Problem:
    line: int | None
    message: str

    def __str__(self):
        return f"line {self.line}: {self.message}" if self.line else self.message


@dataclass
class ProblemReport:
    """Keeps the first `cap` problems by line number, however they arrive, and counts them all."""

    cap: int = MAX_REPORTED_PROBLEMS
    problems: list[Problem] = field(default_factory=list)
    total: int = 0

    def add(self, line: int | None, message: str) -> None:
        self.total += 1
        problem = Problem(line or 0, message)
        if len(self.problems) < self.cap:
            bisect.insort(self.problems, problem)
        elif problem < self.problems[-1]:
            self.problems.pop()
            bisect.insort(self.problems, problem)

    def count_more(self, how_many: int) -> None:
        """Count problems found by a query that returned only the first ones."""
        self.total += how_many

    def __bool__(self):
        return self.total > 0

    def lines(self) -> list[str]:
        shown = [str(problem) for problem in self.problems]
        if self.total > len(self.problems):
            shown.append(f"... and {self.total - len(self.problems)} more problems")
        return shown


class FileRejected(Exception):
    """The file was refused as a whole; nothing was written."""

    def __init__(self, report: ProblemReport):
        self.report = report
        super().__init__(f"{report.total} problem(s) in the file")

    @property
    def lines(self) -> list[str]:
        return self.report.lines()


def size_text(size: int) -> str:
    """A byte count as people read it: 950 bytes, 2.4 kB, 48 MB, 2.1 GB (decimal units)."""
    for unit, scale in (("GB", 10**9), ("MB", 10**6), ("kB", 10**3)):
        if size >= scale:
            amount = size / scale
            return (
                f"{amount:,.1f} {unit}".replace(".0 ", " ")
                if amount < 10
                else f"{amount:,.0f} {unit}"
            )
    return f"{size} bytes"


@dataclass(frozen=True)
class CsvRow:
    line: int
    values: dict[str, str]


MAX_LINE_BYTES = 1_000_000


def file_size(stream: BinaryIO) -> int:
    position = stream.tell()
    stream.seek(0, io.SEEK_END)
    size = stream.tell()
    stream.seek(position)
    return size


def text_lines(stream: BinaryIO, report: ProblemReport) -> Iterator[str]:
    """The file's lines as UTF-8 text (a byte-order mark allowed), read from disk one at a time.

    Stops at the first line that holds a NUL byte, is not UTF-8 or is longer than any CSV line
    should be, and names it in the report: the file is refused, and nothing past that line has
    to be held in memory.
    """
    number = 0
    while raw := stream.readline(MAX_LINE_BYTES + 1):
        number += 1
        if len(raw) > MAX_LINE_BYTES:
            report.add(number, f"is longer than {size_text(MAX_LINE_BYTES)}; is this a CSV file?")
            return
        if number == 1:
            raw = raw.removeprefix(codecs.BOM_UTF8)
        if b"\x00" in raw:
            report.add(number, "contains a NUL byte; is this a CSV text file?")
            return
        try:
            yield raw.decode("utf-8")
        except UnicodeDecodeError:
            report.add(number, "is not valid UTF-8 text; save the file as CSV UTF-8")
            return


def read_csv(
    stream: BinaryIO, report: ProblemReport
) -> tuple[list[str], Iterator[tuple[int, list[str]]]] | None:
    """The header's column names (lower case) and an iterator of (line, cells) for each
    non-blank record after it, with the line an editor shows for the record's first line.
    Records of the wrong width are reported, not yielded. None when there is no header."""
    reader = csv.reader(text_lines(stream, report), strict=True)
    header: list[str] = []
    try:
        while not any(name.strip() for name in header):
            header = next(reader)
    except StopIteration:
        if not report:
            report.add(None, "the file is empty")
        return None
    except csv.Error as error:
        report.add(reader.line_num, f"cannot read the header: {error}")
        return None
    header = [name.strip().lower() for name in header]

    def records() -> Iterator[tuple[int, list[str]]]:
        width = len(header)
        line = reader.line_num + 1
        while True:
            try:
                cells = next(reader)
            except StopIteration:
                return
            except csv.Error as error:
                report.add(line, f"cannot be read as CSV: {error}")
                line = reader.line_num + 1
                continue
            if len(cells) != width:
                if any(cell.strip() for cell in cells):
                    report.add(line, f"has {len(cells)} values but the header has {width} columns")
            else:
                yield line, cells
            line = reader.line_num + 1

    return header, records()


ISO_DATE = re.compile(r"\d{4}-\d{2}-\d{2}")


def date_from_iso(text: str) -> datetime.date:
    """A date written YYYY-MM-DD; ValueError says whether the form or the date is wrong."""
    if not ISO_DATE.fullmatch(text):
        raise ValueError(f"“{text[:40]}” is not a date written YYYY-MM-DD")
    try:
        return datetime.date.fromisoformat(text)
    except ValueError:
        raise ValueError(f"“{text}” is not a real date") from None


def parse_csv(
    data: bytes,
    *,
    required: Sequence[str],
    optional: Sequence[str] = (),
    report: ProblemReport,
    empty_is_ok: bool = False,
) -> tuple[list[str], list[CsvRow]]:
    """Return the header's column names and the rows, as text keyed by column.

    Header problems (unknown, missing or repeated columns) stop the reading: no row can be
    understood without the header. Row problems are added to `report` and reading goes on, so
    one pass names every problem in the file.
    """
    opened = read_csv(io.BytesIO(data), report)
    if opened is None:
        return [], []
    header, records = opened
    if not header_is_valid(header, required=required, optional=optional, report=report):
        return header, []
    rows = [
        CsvRow(line, {name: cell.strip() for name, cell in zip(header, cells, strict=True)})
        for line, cells in records
        if _fields_fit(cells, header=header, line=line, report=report)
    ]
    if not rows and not report and not empty_is_ok:
        report.add(None, "the file has a header but no rows")
    return header, rows


def header_is_valid(
    header: list[str],
    *,
    required: Iterable[str],
    optional: Iterable[str] = (),
    report: ProblemReport,
) -> bool:
    known = list(required) + list(optional)
    expected = ", ".join(known)
    before = report.total
    seen: set[str] = set()
    for position, name in enumerate(header, start=1):
        if not name:
            report.add(1, f"column {position} has no name (expected columns: {expected})")
        elif name not in known:
            report.add(1, f"unknown column “{name}” (expected columns: {expected})")
        elif name in seen:
            report.add(1, f"column “{name}” appears twice")
        seen.add(name)
    for name in required:
        if name not in seen:
            report.add(1, f"missing column “{name}”")
    return report.total == before


def _fields_fit(cells: list[str], *, header: list[str], line: int, report: ProblemReport) -> bool:
    for name, cell in zip(header, cells, strict=True):
        if len(cell) > MAX_FIELD_CHARS:
            report.add(line, f"{name} is longer than {MAX_FIELD_CHARS:,} characters")
            return False
    return True


def unknown_text(name: str, value: str, by_lower_case: dict[str, str]) -> str:
    """“unknown partner_ref “c-0001” (did you mean “C-0001”?)”: references match exactly, and
    one that differs only by case says so."""
    guess = by_lower_case.get(value.lower())
    hint = f" (did you mean “{guess}”?)" if guess else ""
    return f"unknown {name} “{value[:60]}”{hint}"


FORMULA_TRIGGERS = ("=", "+", "-", "@", "\t", "\r")


def formula_safe(text: str) -> str:
    """Text a spreadsheet will show as text, never run as a formula (OWASP CSV injection)."""
    return "'" + text if text.startswith(FORMULA_TRIGGERS) else text


def formula_unescaped(text: str) -> str:
    """The inverse of `formula_safe`, so that an escaped export imports back unchanged."""
    if text.startswith("'") and text[1:].startswith(FORMULA_TRIGGERS):
        return text[1:]
    return text
