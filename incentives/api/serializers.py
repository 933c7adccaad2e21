from drf_spectacular.utils import extend_schema_field
from rest_framework import serializers

from partnerhub.api.serializers import StrictSerializer


class RebateEntrySerializer(serializers.Serializer):
    id = serializers.IntegerField(source="pk")
    partner_ref = serializers.CharField(source="partner.ref")
    quarter = serializers.CharField()
    metric = serializers.CharField(source="metric.key")
    tier = serializers.CharField(source="tier.key", allow_null=True, default=None)
    kind = serializers.CharField()
    base = serializers.DecimalField(max_digits=20, decimal_places=4, allow_null=True)
    rate = serializers.DecimalField(max_digits=7, decimal_places=4, allow_null=True)
    amount = serializers.DecimalField(max_digits=14, decimal_places=2)
    created_at = serializers.DateTimeField()


class RebateFilterSerializer(StrictSerializer):
    quarter = serializers.RegexField(r"^\d{4}-Q[1-4]$", required=False)
    partner_ref = serializers.CharField(required=False)
    page_size = serializers.IntegerField(required=False, min_value=1, max_value=1000)
    cursor = serializers.CharField(required=False)


class QuarterSerializer(StrictSerializer):
    quarter = serializers.RegexField(r"^\d{4}-Q[1-4]$", help_text="e.g. 2026-Q3")


class TierTotalSerializer(serializers.Serializer):
    tier = serializers.CharField()
    partners = serializers.IntegerField()
    base = serializers.DecimalField(max_digits=24, decimal_places=4)
    accrued = serializers.DecimalField(max_digits=16, decimal_places=2)
    paid = serializers.DecimalField(max_digits=16, decimal_places=2)
    owed = serializers.DecimalField(max_digits=16, decimal_places=2)


class ClaimSerializer(serializers.Serializer):
    actual_cost = serializers.DecimalField(max_digits=14, decimal_places=2)
    amount_claimed = serializers.DecimalField(max_digits=14, decimal_places=2)
    outcome = serializers.CharField()
    amount_paid = serializers.DecimalField(max_digits=14, decimal_places=2, allow_null=True)
    decision_note = serializers.CharField()
    filed_at = serializers.DateTimeField()
    documents = serializers.SerializerMethodField()

    @extend_schema_field(serializers.ListField(child=serializers.CharField()))
    def get_documents(self, claim) -> list[str]:
        return [document.file_name for document in claim.documents.all()]


class FundRequestSerializer(serializers.Serializer):
    id = serializers.IntegerField(source="pk")
    partner_ref = serializers.CharField(source="partner.ref")
    title = serializers.CharField()
    activity_type = serializers.CharField()
    starts_on = serializers.DateField()
    ends_on = serializers.DateField()
    description = serializers.CharField()
    status = serializers.CharField()
    amount_requested = serializers.DecimalField(max_digits=14, decimal_places=2)
    amount_approved = serializers.DecimalField(max_digits=14, decimal_places=2, allow_null=True)
    amount_paid = serializers.DecimalField(max_digits=14, decimal_places=2, allow_null=True)
    decision_note = serializers.CharField()
    requested_at = serializers.DateTimeField()
    updated_at = serializers.DateTimeField()
    claims = ClaimSerializer(many=True)


class FundRequestFilterSerializer(StrictSerializer):
    status = serializers.CharField(required=False)
    partner_ref = serializers.CharField(required=False)
    updated_since = serializers.DateTimeField(required=False)
    page_size = serializers.IntegerField(required=False, min_value=1, max_value=1000)
    cursor = serializers.CharField(required=False)


class DecisionSerializer(StrictSerializer):
    decision = serializers.ChoiceField(
        choices=["approve", "reject", "approve_claim", "send_back_claim"]
    )
    amount = serializers.DecimalField(max_digits=14, decimal_places=2, required=False)
    note = serializers.CharField(required=False, allow_blank=True, default="")
