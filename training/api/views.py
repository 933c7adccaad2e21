"""Certification awards over the API: the LMS feed, checked and written exactly as
import_certifications reads its file, all or nothing."""

from dataclasses import asdict

from drf_spectacular.utils import extend_schema
from rest_framework import serializers
from rest_framework.response import Response
from rest_framework.views import APIView

from partnerhub.api.idempotency import idempotent
from partnerhub.api.rows import bulk_import
from partnerhub.api.schema import PROBLEM_RESPONSES
from training.services import CERTIFICATION_CSV_COLUMNS, certification_awards_import

MAX_AWARDS_PER_CALL = 50_000


class AwardInSerializer(serializers.Serializer):
    partner_ref = serializers.CharField()
    email = serializers.EmailField()
    certification = serializers.CharField()
    earned_on = serializers.DateField()
    expires_on = serializers.DateField(required=False, allow_null=True)


class AwardsPostSerializer(serializers.Serializer):
    awards = AwardInSerializer(many=True, help_text=f"Up to {MAX_AWARDS_PER_CALL:,}.")


class AwardsResultSerializer(serializers.Serializer):
    rows = serializers.IntegerField()
    created = serializers.IntegerField()
    updated = serializers.IntegerField()
    unchanged = serializers.IntegerField()


class CertificationAwards(APIView):
    @extend_schema(
        request=AwardsPostSerializer,
        responses={200: AwardsResultSerializer, **PROBLEM_RESPONSES},
    )
    def post(self, request):
        """Record awards from the LMS (write scope): one item is one award (partner, e-mail,
        certification, earned_on); sending it again updates its expiry."""
        return idempotent(request, lambda: _post_awards(request))


def _post_awards(request) -> Response:
    result = bulk_import(
        request.data,
        name="awards",
        fields=CERTIFICATION_CSV_COLUMNS,
        limit=MAX_AWARDS_PER_CALL,
        run=lambda rows, report, place: certification_awards_import(
            tenant=request.tenant, rows=rows, report=report, place=place
        ),
    )
    return Response(asdict(result))
