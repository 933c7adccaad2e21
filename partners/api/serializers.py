from drf_spectacular.utils import extend_schema_field
from rest_framework import serializers

from partnerhub.api.serializers import StrictSerializer
from partners.models import PartnerStatus, partner_type_validator


class PlacementSummarySerializer(serializers.Serializer):
    program = serializers.CharField(source="program.key")
    joined_on = serializers.DateField()
    tier = serializers.CharField(source="tier.key", allow_null=True, default=None)
    qualified_tier = serializers.CharField(
        source="qualified_tier.key", allow_null=True, default=None
    )
    at_risk_since = serializers.DateField(allow_null=True)
    override_tier = serializers.CharField(source="override_tier.key", allow_null=True, default=None)
    override_until = serializers.DateField(allow_null=True)
    evaluated_on = serializers.DateField(allow_null=True)


class PartnerSerializer(serializers.Serializer):
    ref = serializers.CharField()
    name = serializers.CharField()
    type = serializers.CharField()
    region = serializers.CharField()
    status = serializers.ChoiceField(choices=PartnerStatus.choices)
    programs = serializers.SerializerMethodField(
        help_text="The keys of the programs the partner is in, by program name."
    )
    program = serializers.SerializerMethodField(
        help_text="Kept for clients written before partner tracks: the first of `programs`."
    )
    account_manager = serializers.EmailField(
        source="account_manager.user.email", allow_null=True, default=None
    )
    joined_on = serializers.DateField()
    updated_at = serializers.DateTimeField()
    placements = PlacementSummarySerializer(
        source="tracks", many=True, help_text="One per program, in the order of `programs`."
    )
    placement = serializers.SerializerMethodField(
        help_text="Kept for clients written before partner tracks: the first of `placements`."
    )

    def get_programs(self, partner) -> list[str]:
        return [track.program.key for track in partner.tracks]

    def get_program(self, partner) -> str | None:
        return partner.tracks[0].program.key if partner.tracks else None

    @extend_schema_field(PlacementSummarySerializer(allow_null=True))
    def get_placement(self, partner):
        return PlacementSummarySerializer(partner.tracks[0]).data if partner.tracks else None


class PartnerWriteSerializer(StrictSerializer):
    """A partner as the CRM knows it; `ref` comes from the URL."""

    name = serializers.CharField(max_length=200)
    type = serializers.CharField(max_length=32, validators=[partner_type_validator])
    region = serializers.CharField(max_length=100, required=False, allow_blank=True, default="")
    status = serializers.ChoiceField(choices=PartnerStatus.choices, default=PartnerStatus.ACTIVE)
    programs = serializers.ListField(
        child=serializers.SlugField(),
        required=False,
        help_text="The programs the partner is in: it joins those it is not in yet and leaves "
        "the others (history: “left the program”).",
    )
    program = serializers.SlugField(
        required=False, allow_null=True, help_text="One program, or null: the same as `programs`."
    )
    joined_on = serializers.DateField(required=False, allow_null=True, default=None)

    def validate(self, data):
        if "programs" in data and "program" in data:
            raise serializers.ValidationError({"program": ["send programs or program, not both"]})
        return data


class PartnerFilterSerializer(StrictSerializer):
    updated_since = serializers.DateTimeField(required=False)
    status = serializers.ChoiceField(choices=PartnerStatus.choices, required=False)
    page_size = serializers.IntegerField(required=False, min_value=1, max_value=1000)
    cursor = serializers.CharField(required=False)
