from decimal import Decimal

from django import template
from django.contrib.humanize.templatetags.humanize import intcomma

from metrics.models import MetricUnit
from metrics.selectors import format_decimal, money_text

register = template.Library()


@register.simple_tag(takes_context=True)
def metric_value(
    context, value: Decimal | None, metric, empty: str = "—", unit: bool = True
) -> str:
    """A value as people read it for its metric's unit: USD 12,500, 42, 4.25, 12.5 %.

    `unit=False` gives the bare number, for tables whose heading names the unit."""
    if value is None:
        return empty
    if metric.unit == MetricUnit.CURRENCY:
        number = money_text(value)
        tenant = context.get("tenant")
        return f"{tenant.currency} {number}" if tenant and unit else number
    number = intcomma(format_decimal(round(value, 2)))
    if not unit:
        return number
    if metric.unit == MetricUnit.PERCENT:
        return f"{number} %"
    if metric.unit == MetricUnit.TEXT and metric.unit_label:
        return f"{number} {metric.unit_label}"
    return number


@register.simple_tag(takes_context=True)
def metric_unit(context, metric) -> str:
    """The unit a bare number of this metric is in, for a table heading."""
    if metric.unit == MetricUnit.CURRENCY:
        tenant = context.get("tenant")
        return tenant.currency if tenant else ""
    if metric.unit == MetricUnit.PERCENT:
        return "%"
    return metric.unit_label if metric.unit == MetricUnit.TEXT else ""
