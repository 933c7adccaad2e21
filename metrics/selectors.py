import csv
import datetime
from collections.abc import Iterable, Iterator
from dataclasses import dataclass
from decimal import Decimal

from partnerhub.csvfiles import formula_safe
from partners.models import Partner

from .files import METRIC_COLUMNS
from .models import ClosedMonth, Metric, MetricImport, MetricRollup, MetricValue


@dataclass(frozen=True)
class MetricValueFilter:
    partner_ref: str = ""
    metric_key: str = ""
    first_month: datetime.date | None = None
    last_month: datetime.date | None = None


def metric_values_for_export(*, filters: MetricValueFilter) -> Iterator[tuple[str, str, str, str]]:
    """(partner_ref, metric, YYYY-MM, value) rows sorted by partner ref, metric, period."""
    values = MetricValue.objects.all()
    if filters.partner_ref:
        values = values.filter(partner__ref=filters.partner_ref)
    if filters.metric_key:
        values = values.filter(metric__key=filters.metric_key)
    if filters.first_month:
        values = values.filter(period__gte=filters.first_month)
    if filters.last_month:
        values = values.filter(period__lte=filters.last_month)
    rows = values.order_by("partner__ref", "metric__key", "period").values_list(
        "partner__ref", "metric__key", "period", "value"
    )
    for ref, key, period, value in rows.iterator(chunk_size=10_000):
        yield ref, key, period.strftime("%Y-%m"), format_decimal(value)


def format_decimal(value: Decimal) -> str:
    """Plain notation without trailing zeros: 1200.5000 → 1200.5, never 1.2E+3."""
    text = format(value, "f")
    if "." in text:
        text = text.rstrip("0").rstrip(".")
    return "0" if text in ("-0", "") else text


def money_text(value: Decimal) -> str:
    """An amount of money as people read it: 12,500 when whole, 12,500.50 otherwise."""
    return f"{value:,.0f}" if value == value.to_integral_value() else f"{value:,.2f}"


class _Echo:
    def write(self, line: str) -> str:
        return line


def metric_csv_lines(rows: Iterable[tuple[str, str, str, str]]) -> Iterator[str]:
    """The import format, a line at a time; text cells are escaped so that no spreadsheet runs
    them as formulas (the import undoes the escape)."""
    writer = csv.writer(_Echo(), lineterminator="\n")
    yield writer.writerow(METRIC_COLUMNS)
    for ref, key, period, value in rows:
        yield writer.writerow((formula_safe(ref), formula_safe(key), period, value))


def metric_list():
    return Metric.objects.order_by("name")


def metric_imports_recent(limit: int = 50):
    return MetricImport.objects.select_related("started_by")[:limit]


def months_before(month: datetime.date, count: int) -> list[datetime.date]:
    """The `count` calendar months before `month`'s month, oldest first."""
    months = []
    year, number = month.year, month.month
    for _ in range(count):
        number -= 1
        if number == 0:
            year, number = year - 1, 12
        months.append(datetime.date(year, number, 1))
    return months[::-1]


@dataclass(frozen=True)
class MetricSeries:
    metric: Metric
    months: list[datetime.date]
    values: list[Decimal | None]  # None: no value for that month

    @property
    def present(self) -> list[Decimal]:
        return [value for value in self.values if value is not None]

    @property
    def total(self) -> Decimal | None:
        return sum(self.present, Decimal(0)) if self.present else None

    @property
    def average(self) -> Decimal | None:
        return self.total / len(self.present) if self.present else None

    @property
    def latest(self) -> Decimal | None:
        return self.present[-1] if self.present else None

    @property
    def summary(self) -> Decimal | None:
        return {
            MetricRollup.TOTAL: self.total,
            MetricRollup.AVERAGE: self.average,
            MetricRollup.LATEST: self.latest,
        }[self.metric.rollup]

    @property
    def summary_label(self) -> str:
        return {
            MetricRollup.TOTAL: "Total",
            MetricRollup.AVERAGE: "Average",
            MetricRollup.LATEST: "Latest",
        }[self.metric.rollup]

    @property
    def peak(self) -> Decimal:
        return max((abs(value) for value in self.present), default=Decimal(0))

    def bars(self):
        """(month, value, height in percent of the largest value) for the chart."""
        peak = self.peak
        for month, value in zip(self.months, self.values, strict=True):
            height = None if value is None else (abs(value) / peak * 100 if peak else 0)
            yield month, value, height


def partner_scorecard(
    *, partner: Partner, today: datetime.date, months: int = 12
) -> list[MetricSeries]:
    """Each metric's values for the `months` complete months before today's month, with the
    months that have no value kept as gaps. Two queries whatever the data size."""
    window = months_before(today, months)
    metrics = list(Metric.objects.order_by("name"))
    found = {
        (metric_id, period): value
        for metric_id, period, value in MetricValue.objects.filter(
            partner=partner, period__gte=window[0], period__lte=window[-1]
        ).values_list("metric_id", "period", "value")
    }
    return [
        MetricSeries(metric, window, [found.get((metric.pk, month)) for month in window])
        for metric in metrics
    ]


@dataclass(frozen=True)
class MonthState:
    month: datetime.date
    closed: ClosedMonth | None  # its own close; None and `covered`: a later month's close
    covered: bool  # complete: closed itself, or a later month is

    @property
    def label(self) -> str:
        return f"{self.month:%Y-%m}"


def recent_months(*, today: datetime.date, count: int = 6) -> list[MonthState]:
    """The last `count` months that have ended, newest first, and whether each is complete."""
    index = today.year * 12 + today.month - 1
    months = [
        datetime.date((index - n) // 12, (index - n) % 12 + 1, 1) for n in range(1, count + 1)
    ]
    closes = {
        c.month: c for c in ClosedMonth.objects.filter(month__in=months).select_related("closed_by")
    }
    latest = ClosedMonth.objects.order_by("-month").values_list("month", flat=True).first()
    return [
        MonthState(month, closes.get(month), latest is not None and month <= latest)
        for month in months
    ]
