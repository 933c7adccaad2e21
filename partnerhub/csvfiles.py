"""Reading uploaded CSV files the way spreadsheets save them, with problems named by line.

Every import validates the whole file before writing anything and reports each problem with the
line number an editor shows (the header is line 1). Files saved by spreadsheets import as they
are: UTF-8 with or without a byte-order mark, CRLF line ends, quoted fields.
"""

import bisect
import csv
import io
from collections.abc import Iterable, Iterator, Sequence
from dataclasses import dataclass, field

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


def _line_of_offset(data: bytes, offset: int) -> int:
    return data.count(b"\n", 0, offset) + 1


def decode_text(data: bytes, report: ProblemReport) -> str | None:
    if not data.strip():
        report.add(None, "the file is empty")
        return None
    nul = data.find(b"\x00")
    if nul != -1:
        report.add(_line_of_offset(data, nul), "contains a NUL byte; is this a CSV text file?")
        return None
    try:
        return data.decode("utf-8-sig")
    except UnicodeDecodeError as error:
        report.add(
            _line_of_offset(data, error.start),
            "is not valid UTF-8 text; save the file as CSV UTF-8",
        )
        return None


def iter_csv_records(
    text: str, *, header_width: int, report: ProblemReport
) -> Iterator[tuple[int, list[str]]]:
    """Yield (line, cells) for each non-blank record after the header, with the line number an
    editor shows for the record's first line. Records of the wrong width are reported, not
    yielded."""
    reader = csv.reader(io.StringIO(text, newline=""), strict=True)
    next(reader, None)
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
        if len(cells) != header_width:
            if any(cell.strip() for cell in cells):
                report.add(
                    line, f"has {len(cells)} values but the header has {header_width} columns"
                )
        else:
            yield line, cells
        line = reader.line_num + 1


def read_header(text: str, report: ProblemReport) -> list[str] | None:
    reader = csv.reader(io.StringIO(text, newline=""), strict=True)
    try:
        return [name.strip().lower() for name in next(reader)]
    except StopIteration:
        report.add(None, "the file is empty")
    except csv.Error as error:
        report.add(1, f"cannot read the header: {error}")
    return None


def parse_csv(
    data: bytes,
    *,
    required: Sequence[str],
    optional: Sequence[str] = (),
    report: ProblemReport,
) -> tuple[list[str], list[CsvRow]]:
    """Return the header's column names and the rows, as text keyed by column.

    Header problems (unknown, missing or repeated columns) stop the reading: no row can be
    understood without the header. Row problems are added to `report` and reading goes on, so
    one pass names every problem in the file.
    """
    text = decode_text(data, report)
    header = read_header(text, report) if text is not None else None
    if header is None or not header_is_valid(
        header, required=required, optional=optional, report=report
    ):
        return header or [], []
    rows = [
        CsvRow(line, {name: cell.strip() for name, cell in zip(header, cells, strict=True)})
        for line, cells in iter_csv_records(text, header_width=len(header), report=report)
        if _fields_fit(cells, header=header, line=line, report=report)
    ]
    if not rows and not report:
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


FORMULA_TRIGGERS = ("=", "+", "-", "@", "\t", "\r")


def formula_safe(text: str) -> str:
    """Text a spreadsheet will show as text, never run as a formula (OWASP CSV injection)."""
    return "'" + text if text.startswith(FORMULA_TRIGGERS) else text


def formula_unescaped(text: str) -> str:
    """The inverse of `formula_safe`, so that an escaped export imports back unchanged."""
    if text.startswith("'") and text[1:].startswith(FORMULA_TRIGGERS):
        return text[1:]
    return text
