"""Metric values over the API: the CRM posts up to 50,000 a call, checked and written exactly
as a file import is (the same service), all or nothing."""

import datetime
from dataclasses import asdict

from django.db import transaction
from drf_spectacular.utils import OpenApiExample, OpenApiParameter, extend_schema
from rest_framework import generics, serializers
from rest_framework.response import Response
from rest_framework.views import APIView

from metrics.models import MetricImport, MetricValue
from metrics.services import (
    MonthNotClosable,
    metric_values_upsert,
    month_closable,
    month_close,
    month_parse,
)
from partnerhub.api.errors import Problem
from partnerhub.api.idempotency import idempotent
from partnerhub.api.pagination import ByIdCursor
from partnerhub.api.rows import bulk_import
from partnerhub.api.schema import PROBLEM_RESPONSES
from partnerhub.api.views import FilteredList

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


class MetricValueList(FilteredList):
    serializer_class = MetricValueSerializer
    pagination_class = ByIdCursor
    filter_serializer = MetricValueFilterSerializer
    lookups = {"partner_ref": "partner__ref", "metric": "metric__key"}

    def rows(self):
        return MetricValue.objects.select_related("partner", "metric")

    def filtered(self, query, wanted):
        query = super().filtered(query, wanted)
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
        examples=[
            OpenApiExample(
                "Two months of revenue",
                request_only=True,
                value={
                    "values": [
                        {
                            "partner_ref": "P-0001",
                            "metric": "revenue",
                            "period": "2026-09",
                            "value": "120500.00",
                        },
                        {
                            "partner_ref": "P-0001",
                            "metric": "revenue",
                            "period": "2026-10",
                            "value": "98000.50",
                        },
                    ]
                },
            ),
            OpenApiExample(
                "Written",
                response_only=True,
                status_codes=["200"],
                value={"rows": 2, "inserted": 1, "updated": 1, "unchanged": 0},
            ),
            OpenApiExample(
                "Refused, nothing written",
                response_only=True,
                status_codes=["400"],
                media_type="application/problem+json",
                value={
                    "type": "https://partnerhub.example/problems/invalid",
                    "title": "The request is not valid",
                    "status": 400,
                    "detail": "2 problem(s); nothing was written. First: values[1].period: ...",
                    "errors": [
                        {
                            "path": "values[1].period",
                            "detail": "period “2026-13” is not a month "
                            "written YYYY-MM (for example 2026-03)",
                        },
                        {"path": "values[3].partner_ref", "detail": "unknown partner_ref “P-999”"},
                    ],
                },
            ),
        ],
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
    close = _month_to_close(request)
    with transaction.atomic():
        result = bulk_import(
            request.data,
            name="values",
            fields=VALUE_FIELDS,
            limit=MAX_VALUES_PER_CALL,
            numbers=("value",),
            options=frozenset({"close"}),
            run=lambda rows, report, place: metric_values_upsert(
                tenant=request.tenant,
                records=((line, [row[field] for field in VALUE_FIELDS]) for line, row in rows),
                report=report,
                line_count=len(rows),
                place=place,
            ),
        )
        if close is not None:
            month_close(tenant=request.tenant, month=close, source="api")
    answer = asdict(result)
    if close is not None:
        answer["closed"] = f"{close:%Y-%m}"
    return Response(answer)


def _month_to_close(request) -> datetime.date | None:
    """The body's `close` month, checked before anything is written."""
    if not isinstance(request.data, dict) or request.data.get("close") is None:
        return None
    try:
        month = month_parse(request.data["close"])
        month_closable(tenant=request.tenant, month=month)
    except MonthNotClosable as refused:
        raise Problem(f"close: {refused}", [{"path": "close", "detail": str(refused)}]) from None
    return month


class ImportSerializer(serializers.Serializer):
    id = serializers.IntegerField(source="pk")
    file_name = serializers.CharField()
    source = serializers.CharField()
    status = serializers.CharField()
    rows_total = serializers.IntegerField()
    rows_inserted = serializers.IntegerField()
    rows_updated = serializers.IntegerField()
    problem_count = serializers.IntegerField()
    problems = serializers.ListField(child=serializers.CharField())
    started_at = serializers.DateTimeField(source="created_at")
    finished_at = serializers.DateTimeField(allow_null=True)


@extend_schema(responses={200: ImportSerializer, **PROBLEM_RESPONSES})
class ImportList(generics.ListAPIView):
    """Metric imports (files uploaded or run by command), newest last."""

    serializer_class = ImportSerializer
    pagination_class = ByIdCursor

    def get_queryset(self):
        return MetricImport.objects.all()


class ImportDetail(APIView):
    @extend_schema(responses={200: ImportSerializer, **PROBLEM_RESPONSES})
    def get(self, request, import_id: int):
        """One import's status, counts and problems (by line)."""
        found = MetricImport.objects.filter(pk=import_id).first()
        if found is None:
            raise Problem("No such import.", code="not_found", status_code=404)
        return Response(ImportSerializer(found).data)
