"""Metric values over the API: the CRM posts up to 50,000 a call, checked and written exactly
as a file import is (the same service), all or nothing."""

import datetime
from decimal import Decimal

from drf_spectacular.utils import OpenApiParameter, extend_schema
from rest_framework import generics
from rest_framework.response import Response

from metrics.models import MetricValue
from metrics.services import metric_values_upsert
from partnerhub.api.errors import Problem
from partnerhub.api.idempotency import idempotent
from partnerhub.api.pagination import ByIdCursor
from partnerhub.api.schema import PROBLEM_RESPONSES
from partnerhub.api.serializers import unknown_field
from partnerhub.csvfiles import FileRejected, ProblemReport

from .serializers import (
    MAX_VALUES_PER_CALL,
    VALUE_FIELDS,
    MetricValueFilterSerializer,
    MetricValueSerializer,
    MetricValuesPostSerializer,
    MetricValuesResultSerializer,
)

IDEMPOTENCY_HEADER = OpenApiParameter(
    "Idempotency-Key",
    str,
    OpenApiParameter.HEADER,
    required=False,
    description="A retried call with the same key and body gets the first call's answer.",
)


class MetricValueList(generics.ListAPIView):
    serializer_class = MetricValueSerializer
    pagination_class = ByIdCursor

    def get_queryset(self):
        filters = MetricValueFilterSerializer(data=self.request.query_params)
        filters.is_valid(raise_exception=True)
        wanted = filters.validated_data
        query = MetricValue.objects.select_related("partner", "metric")
        if "partner_ref" in wanted:
            query = query.filter(partner__ref=wanted["partner_ref"])
        if "metric" in wanted:
            query = query.filter(metric__key=wanted["metric"])
        if "first" in wanted:
            query = query.filter(period__gte=_month(wanted["first"], "first"))
        if "last" in wanted:
            query = query.filter(period__lte=_month(wanted["last"], "last"))
        return query

    @extend_schema(
        parameters=[MetricValueFilterSerializer],
        responses={200: MetricValueSerializer(many=True), **PROBLEM_RESPONSES},
    )
    def get(self, request):
        """Metric values by partner, metric and months."""
        return self.list(request)

    @extend_schema(
        request=MetricValuesPostSerializer,
        parameters=[IDEMPOTENCY_HEADER],
        responses={200: MetricValuesResultSerializer, **PROBLEM_RESPONSES},
    )
    def post(self, request):
        """Upsert up to 50,000 values (write scope). A value for a partner, metric and month
        that exists is replaced. Any problem: 400 naming each by its index, nothing written."""
        return idempotent(request, lambda: _post_values(request))


def _month(text: str, field: str) -> datetime.date:
    try:
        return datetime.date.fromisoformat(text + "-01")
    except ValueError:
        raise Problem(
            f"{field}: “{text}” is not a month", [{"path": field, "detail": "not a month YYYY-MM"}]
        ) from None


def _post_values(request) -> Response:
    values = _values_of(request.data)
    report = ProblemReport()
    records = list(_records(values, report))  # shape problems join the import's own
    try:
        result = metric_values_upsert(
            tenant=request.tenant,
            records=iter(records),
            report=report,
            line_count=len(records),
            place=lambda line: f"at values[{line - 1}]",
        )
    except FileRejected as rejected:
        raise _refusal(rejected.report) from None
    body = {
        "rows": result.rows,
        "inserted": result.inserted,
        "updated": result.updated,
        "unchanged": result.unchanged,
    }
    return Response(body)


def _values_of(data) -> list:
    if not isinstance(data, dict):
        raise Problem(
            'The body must be an object: {"values": [...]}.',
            [{"path": "", "detail": "not an object"}],
        )
    unknown = sorted(set(data) - {"values"})
    if unknown:
        raise Problem(
            "The body has unknown fields.",
            [{"path": name, "detail": unknown_field(name, {"values"})} for name in unknown],
        )
    values = data.get("values")
    if not isinstance(values, list) or not values:
        raise Problem(
            "values: a list of 1 to 50,000 values is required.",
            [{"path": "values", "detail": "a non-empty list is required"}],
        )
    if len(values) > MAX_VALUES_PER_CALL:
        raise Problem(
            f"values: {len(values):,} values; at most {MAX_VALUES_PER_CALL:,} a call.",
            [{"path": "values", "detail": f"at most {MAX_VALUES_PER_CALL:,} a call"}],
            status_code=413,
            code="too_large",
        )
    return values


def _records(values: list, report: ProblemReport):
    """(line, [ref, metric, period, value]) with line = index + 1; shape problems reported as
    `values[i].field: ...`."""
    known = set(VALUE_FIELDS)
    for index, item in enumerate(values):
        line = index + 1
        if not isinstance(item, dict):
            report.add(line, "must be an object with partner_ref, metric, period and value")
            continue
        bad = False
        for name in sorted(set(item) - known):
            report.add(line, f"{name}: {unknown_field(name, known)}")
            bad = True
        cells = []
        for name in VALUE_FIELDS:
            raw = item.get(name)
            if raw is None:
                cells.append("")  # reported as missing by the import's own checks
            elif isinstance(raw, str):
                cells.append(raw)
            elif name == "value" and isinstance(raw, int | Decimal) and not isinstance(raw, bool):
                cells.append(str(raw))
            else:
                report.add(line, f"{name}: must be text (got {type(raw).__name__})")
                bad = True
        if not bad:
            yield line, cells


FIELD_OF_MESSAGE = (("unknown partner_ref", "partner_ref"), ("unknown metric", "metric"))


def _refusal(report: ProblemReport) -> Problem:
    errors = []
    for problem in report.problems:
        index = (problem.line or 1) - 1
        path, detail = f"values[{index}]", problem.message
        field = _field_of(detail)
        if field and detail.startswith(f"{field}: "):
            detail = detail[len(field) + 2 :]
        if field:
            path += f".{field}"
        errors.append({"path": path, "detail": detail})
    if report.total > len(report.problems):
        errors.append(
            {"path": "values", "detail": f"and {report.total - len(report.problems)} more problems"}
        )
    first = f"{errors[0]['path']}: {errors[0]['detail']}"
    return Problem(f"{report.total} problem(s); nothing was written. First: {first}", errors)


def _field_of(message: str) -> str | None:
    for prefix, field in FIELD_OF_MESSAGE:
        if message.startswith(prefix):
            return field
    for field in ("partner_ref", "metric", "period", "value"):
        if message.startswith(field):
            return field
    if " has not ended" in message:
        return "period"
    return None
