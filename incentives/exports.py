"""The finance export of a quarter's rebates: one format for the command and the page."""

from collections.abc import Iterable, Iterator

from partnerhub.csvfiles import formula_safe
from tiers.engine import decimal_text

from .selectors import DiscountRow, StatementRow

STATEMENT_COLUMNS = ["partner_ref", "quarter", "tier", "metric", "base", "rate", "amount", "paid"]


def statement_csv_rows(rows: Iterable[StatementRow]) -> Iterator[list[str]]:
    """The header, then each row: base and rate as last accrued, amounts to the cent."""
    yield STATEMENT_COLUMNS
    for row in rows:
        yield [
            formula_safe(row.partner_ref),
            row.quarter,
            row.tier,
            row.metric,
            decimal_text(row.base),
            decimal_text(row.rate),
            f"{row.amount:.2f}",
            f"{row.paid:.2f}",
        ]


DISCOUNT_COLUMNS = ["partner_ref", "tier", "discount_percent"]


def discount_csv_rows(rows: Iterable[DiscountRow]) -> Iterator[list[str]]:
    yield DISCOUNT_COLUMNS
    for row in rows:
        yield [formula_safe(row.partner_ref), row.tier, decimal_text(row.percent)]
