"""Reading uploaded CSV files the way spreadsheets save them, with problems named by line.

Every import validates the whole file before writing anything and reports each problem with the
line number an editor shows (the header is line 1). Files saved by spreadsheets import as they
are: UTF-8 with or without a byte-order mark, CRLF line ends, quoted fields.
"""

import csv
import io
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field

MAX_REPORTED_PROBLEMS = 100
MAX_FIELD_CHARS = 10_000


@dataclass(frozen=True)
class Problem:
    line: int | None
    message: str

    def __str__(self):
        return f"line {self.line}: {self.message}" if self.line else self.message


@dataclass
class ProblemReport:
    """Collects problems up to a cap while still counting all of them."""

    cap: int = MAX_REPORTED_PROBLEMS
    problems: list[Problem] = field(default_factory=list)
    total: int = 0

    def add(self, line: int | None, message: str) -> None:
        self.total += 1
        if len(self.problems) < self.cap:
            self.problems.append(Problem(line, message))

    def __bool__(self):
        return self.total > 0

    def lines(self) -> list[str]:
        by_line = sorted(self.problems, key=lambda problem: problem.line or 0)
        shown = [str(problem) for problem in by_line]
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
    if text is None:
        return [], []
    reader = csv.reader(io.StringIO(text, newline=""), strict=True)
    try:
        header = [name.strip().lower() for name in next(reader)]
    except StopIteration:
        report.add(None, "the file is empty")
        return [], []
    except csv.Error as error:
        report.add(1, f"cannot read the header: {error}")
        return [], []
    if not _header_is_valid(header, required=required, optional=optional, report=report):
        return header, []

    rows: list[CsvRow] = []
    line = reader.line_num + 1
    while True:
        try:
            cells = next(reader)
        except StopIteration:
            break
        except csv.Error as error:
            report.add(line, f"cannot be read as CSV: {error}")
            line = reader.line_num + 1
            continue
        if cells and any(cell.strip() for cell in cells):
            _add_row(rows, cells, line=line, header=header, report=report)
        line = reader.line_num + 1
    if not rows and not report:
        report.add(None, "the file has a header but no rows")
    return header, rows


def _header_is_valid(
    header: list[str], *, required: Iterable[str], optional: Iterable[str], report: ProblemReport
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


def _add_row(
    rows: list[CsvRow], cells: list[str], *, line: int, header: list[str], report: ProblemReport
) -> None:
    if len(cells) != len(header):
        report.add(line, f"has {len(cells)} values but the header has {len(header)} columns")
        return
    for name, cell in zip(header, cells, strict=True):
        if len(cell) > MAX_FIELD_CHARS:
            report.add(line, f"{name} is longer than {MAX_FIELD_CHARS:,} characters")
            return
    rows.append(
        CsvRow(line, {name: cell.strip() for name, cell in zip(header, cells, strict=True)})
    )
