"""Bulk bodies: `{"<name>": [ {...}, ... ]}` checked for shape, each item turned into a row for
the import service that files use too, and every problem named by its index."""

from collections.abc import Callable
from decimal import Decimal

from partnerhub.csvfiles import FileRejected, ProblemReport

from .errors import Problem
from .serializers import unknown_field


def items_of(data, *, name: str, limit: int, options: frozenset[str] = frozenset()) -> list:
    """The list under `name`, or a Problem: not an object, unknown fields (beside the call's
    own `options`), empty, too long."""
    if not isinstance(data, dict):
        raise Problem(
            f'The body must be an object: {{"{name}": [...]}}.',
            [{"path": "", "detail": "not an object"}],
        )
    known = {name} | options
    unknown = sorted(set(data) - known)
    if unknown:
        raise Problem(
            "The body has unknown fields.",
            [{"path": field, "detail": unknown_field(field, known)} for field in unknown],
        )
    items = data.get(name)
    if not isinstance(items, list) or not items:
        raise Problem(
            f"{name}: a list of 1 to {limit:,} is required.",
            [{"path": name, "detail": "a non-empty list is required"}],
        )
    if len(items) > limit:
        raise Problem(
            f"{name}: {len(items):,} items; at most {limit:,} a call.",
            [{"path": name, "detail": f"at most {limit:,} a call"}],
            status_code=413,
            code="too_large",
        )
    return items


def rows_of(
    items: list, *, fields: tuple[str, ...], report: ProblemReport, numbers=(), optional=()
) -> list[tuple[int, dict[str, str]]]:
    """(line, {field: text}) per well-shaped item, line = index + 1; shape problems go to
    `report` as "<field>: ..." on the item's line. Fields in `numbers` may be JSON numbers."""
    known = set(fields)
    rows = []
    for index, item in enumerate(items):
        line = index + 1
        if not isinstance(item, dict):
            report.add(line, f"must be an object with {', '.join(fields)}")
            continue
        bad = False
        for field in sorted(set(item) - known):
            report.add(line, f"{field}: {unknown_field(field, known)}")
            bad = True
        values = {}
        for field in fields:
            raw = item.get(field)
            if raw is None:
                values[field] = ""  # the import names what is missing, or takes it as blank
            elif isinstance(raw, str):
                values[field] = raw
            elif field in numbers and isinstance(raw, int | Decimal) and not isinstance(raw, bool):
                values[field] = str(raw)
            else:
                report.add(line, f"{field}: must be text (got {type(raw).__name__})")
                bad = True
        if not bad:
            rows.append((line, values))
    return rows


def refusal(report: ProblemReport, *, name: str, fields: tuple[str, ...]) -> Problem:
    """The import's problems, each at `<name>[index].<field>` when the message names one."""
    errors = []
    for problem in report.problems:
        path, detail = f"{name}[{(problem.line or 1) - 1}]", problem.message
        field = _field_of(detail, fields)
        if field:
            path += f".{field}"
            if detail.startswith(f"{field}: "):
                detail = detail[len(field) + 2 :]
        errors.append({"path": path, "detail": detail})
    if report.total > len(report.problems):
        more = report.total - len(report.problems)
        errors.append({"path": name, "detail": f"and {more} more problems"})
    first = f"{errors[0]['path']}: {errors[0]['detail']}"
    return Problem(f"{report.total} problem(s); nothing was written. First: {first}", errors)


def _field_of(message: str, fields: tuple[str, ...]) -> str | None:
    for field in fields:
        if message.startswith((field, f"unknown {field} ")):
            return field
    if " has not ended" in message and "period" in fields:
        return "period"
    return None


def bulk_import(
    data,
    *,
    name: str,
    fields: tuple[str, ...],
    limit: int,
    run: Callable,
    numbers: tuple[str, ...] = (),
    options: frozenset[str] = frozenset(),
):
    """A bulk body through a file import's own service: `run(rows, report, place)` gets the
    well-shaped rows, the report holding the shape problems (so every problem comes in one
    answer), and how to name an item in a message. Its FileRejected becomes a Problem that
    names each item by its index."""
    items = items_of(data, name=name, limit=limit, options=options)
    report = ProblemReport()
    rows = rows_of(items, fields=fields, report=report, numbers=numbers)
    try:
        return run(rows, report, lambda line: f"at {name}[{line - 1}]")
    except FileRejected as rejected:
        raise refusal(rejected.report, name=name, fields=fields) from None
