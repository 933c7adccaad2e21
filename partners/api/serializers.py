from drf_spectacular.utils import extend_schema_field
from rest_framework import serializers

from partnerhub.api.serializers import StrictSerializer
from partners.models import PartnerStatus, partner_type_validator


class PlacementSummarySerializer(serializers.Serializer):
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
    program = serializers.CharField(source="program.key", allow_null=True, default=None)
    account_manager = serializers.EmailField(
        source="account_manager.user.email", allow_null=True, default=None
    )
    joined_on = serializers.DateField()
    updated_at = serializers.DateTimeField()
    placement = serializers.SerializerMethodField()

    @extend_schema_field(PlacementSummarySerializer(allow_null=True))
    def get_placement(self, partner):
        placement = getattr(partner, "placement", None)
        return PlacementSummarySerializer(placement).data if placement is not None else None


class PartnerWriteSerializer(StrictSerializer):
    """A partner as the CRM knows it; `ref` comes from the URL."""

    name = serializers.CharField(max_length=200)
    type = serializers.CharField(max_length=32, validators=[partner_type_validator])
    region = serializers.CharField(max_length=100, required=False, allow_blank=True, default="")
    status = serializers.ChoiceField(choices=PartnerStatus.choices, default=PartnerStatus.ACTIVE)
    program = serializers.SlugField(required=False, allow_null=True, default=None)
    joined_on = serializers.DateField(required=False, allow_null=True, default=None)


class PartnerFilterSerializer(StrictSerializer):
    updated_since = serializers.DateTimeField(required=False)
    status = serializers.ChoiceField(choices=PartnerStatus.choices, required=False)
    page_size = serializers.IntegerField(required=False, min_value=1, max_value=1000)
    cursor = serializers.CharField(required=False)
