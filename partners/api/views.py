"""Partners over the API: read them (with their placement), and upsert one by its ref."""

from django.core.exceptions import ValidationError as DjangoValidationError
from django.db import transaction
from drf_spectacular.utils import OpenApiResponse, extend_schema
from rest_framework import status
from rest_framework.response import Response
from rest_framework.views import APIView

from partnerhub.api.errors import Problem
from partnerhub.api.schema import PROBLEM_RESPONSES
from partnerhub.api.views import FilteredList
from partners.models import Partner
from partners.selectors import with_tracks
from partners.services import partner_create, partner_update

from .serializers import PartnerFilterSerializer, PartnerSerializer, PartnerWriteSerializer


def partners_with_placement():
    return with_tracks(Partner.objects.select_related("account_manager__user"))


def _programs_named(fields: dict) -> list | None:
    """The Program objects `programs` (or the older `program`) names; None when neither was
    sent: the partner then keeps its programs on update and has none when created."""
    from tiers.engine import closest
    from tiers.models import Program

    if "programs" in fields:
        keys, path = fields.pop("programs"), "programs[{}]"
    elif "program" in fields:
        key = fields.pop("program")
        keys, path = ([key] if key else []), "program"
    else:
        return None
    known = {program.key: program for program in Program.objects.all()}
    errors = []
    for position, key in enumerate(keys):
        if key not in known:
            guess = closest(key, known)
            hint = f" (did you mean “{guess}”?)" if guess else ""
            errors.append(
                {"path": path.format(position), "detail": f"unknown program “{key}”{hint}"}
            )
    if errors:
        raise Problem(f"{errors[0]['path']}: {errors[0]['detail']}.", errors)
    return [known[key] for key in dict.fromkeys(keys)]


@extend_schema(
    parameters=[PartnerFilterSerializer], responses={200: PartnerSerializer, **PROBLEM_RESPONSES}
)
class PartnerList(FilteredList):
    """Partners, oldest change first; `updated_since` for an incremental sync."""

    serializer_class = PartnerSerializer
    filter_serializer = PartnerFilterSerializer
    lookups = {"updated_since": "updated_at__gte", "status": "status"}

    def rows(self):
        return partners_with_placement()


class PartnerDetail(APIView):
    @extend_schema(responses={200: PartnerSerializer, **PROBLEM_RESPONSES})
    def get(self, request, ref: str):
        partner = partners_with_placement().filter(ref=ref).first()
        if partner is None:
            raise Problem(f"No partner has the ref “{ref}”.", code="not_found", status_code=404)
        return Response(PartnerSerializer(partner).data)

    @extend_schema(
        request=PartnerWriteSerializer,
        responses={
            200: OpenApiResponse(PartnerSerializer, description="Updated"),
            201: OpenApiResponse(PartnerSerializer, description="Created"),
            **PROBLEM_RESPONSES,
        },
    )
    def put(self, request, ref: str):
        """Create the partner with this ref, or update it (write scope)."""
        incoming = PartnerWriteSerializer(data=request.data)
        incoming.is_valid(raise_exception=True)
        fields = dict(incoming.validated_data)
        programs = _programs_named(fields)
        with transaction.atomic():
            partner = Partner.objects.select_for_update().filter(ref=ref).first()
            try:
                if partner is None:
                    partner = partner_create(
                        tenant=request.tenant, ref=ref, programs=programs or (), **fields
                    )
                    created = True
                else:
                    if fields["joined_on"] is None:
                        fields.pop("joined_on")
                    partner = partner_update(partner=partner, programs=programs, **fields)
                    created = False
            except DjangoValidationError as invalid:
                errors = [
                    {"path": field, "detail": message}
                    for field, messages in invalid.message_dict.items()
                    for message in messages
                ]
                raise Problem("The partner is not valid.", errors) from None
        partner = partners_with_placement().get(pk=partner.pk)
        return Response(
            PartnerSerializer(partner).data,
            status=status.HTTP_201_CREATED if created else status.HTTP_200_OK,
        )
