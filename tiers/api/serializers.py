from drf_spectacular.utils import extend_schema_field
from rest_framework import serializers

from partnerhub.api.serializers import StrictSerializer


class PointsPartSerializer(serializers.Serializer):
    """One part of a points condition: `add` points when its `rule` holds, or `add` for every
    whole `per` of a metric's aggregate (at most `max`); the points it added and what it read."""

    rule = serializers.JSONField(required=False)
    metric = serializers.CharField(required=False)
    aggregate = serializers.CharField(required=False)
    window = serializers.CharField(required=False)
    per = serializers.DecimalField(max_digits=24, decimal_places=4, required=False)
    max = serializers.DecimalField(max_digits=24, decimal_places=4, allow_null=True, required=False)
    add = serializers.DecimalField(max_digits=24, decimal_places=4)
    points = serializers.DecimalField(max_digits=24, decimal_places=4, allow_null=True)
    value = serializers.DecimalField(max_digits=24, decimal_places=4, allow_null=True)
    held = serializers.BooleanField(allow_null=True)


class ConditionSerializer(serializers.Serializer):
    """One condition of a tier's rule and how the partner fared: a metric, a certification (or
    a family of them: `certifications`), one of the partner's own attributes (`partner`, whose
    `values` it must be one of; `op` is "in" and there is no target), or points (`points`: its
    parts; `value` is the score). A window of a number of months is `window_months`; a fiscal
    window (fytd, last_fy, last_fq) is `window`. A growth's value is in percent, to two
    decimals."""

    metric = serializers.CharField(required=False)
    aggregate = serializers.CharField(required=False)
    window = serializers.CharField(required=False)
    window_months = serializers.IntegerField(required=False)
    points = PointsPartSerializer(many=True, required=False)
    min_months = serializers.IntegerField(required=False)
    certification = serializers.CharField(required=False)
    certifications = serializers.ListField(child=serializers.CharField(), required=False)
    partner = serializers.CharField(required=False)
    values = serializers.ListField(child=serializers.CharField(), required=False)
    op = serializers.CharField()
    target = serializers.DecimalField(max_digits=20, decimal_places=4, allow_null=True)
    value = serializers.DecimalField(max_digits=24, decimal_places=4, allow_null=True)
    held = serializers.BooleanField()


class TierExplanationSerializer(serializers.Serializer):
    tier = serializers.CharField()
    held = serializers.BooleanField()
    conditions = ConditionSerializer(many=True)


class PlacementSerializer(serializers.Serializer):
    partner_ref = serializers.CharField(source="partner.ref")
    program = serializers.CharField(source="program.key")
    joined_on = serializers.DateField(help_text="When the partner joined this program.")
    tier = serializers.CharField(source="tier.key", allow_null=True, default=None)
    qualified_tier = serializers.CharField(
        source="qualified_tier.key", allow_null=True, default=None
    )
    at_risk_since = serializers.DateField(allow_null=True)
    grace_ends_on = serializers.SerializerMethodField()
    override_tier = serializers.CharField(source="override_tier.key", allow_null=True, default=None)
    override_until = serializers.DateField(allow_null=True)
    override_reason = serializers.CharField()
    evaluated_on = serializers.DateField(allow_null=True)
    criteria_version = serializers.IntegerField(source="version", allow_null=True)

    @extend_schema_field(serializers.DateField(allow_null=True))
    def get_grace_ends_on(self, placement):
        return placement.grace_ends_on()


class PlacementDetailSerializer(PlacementSerializer):
    explanation = TierExplanationSerializer(many=True)


class PlacementChangeSerializer(serializers.Serializer):
    partner_ref = serializers.CharField(source="partner.ref")
    program = serializers.CharField(source="program.key")
    on = serializers.DateField()
    from_tier = serializers.CharField(source="from_tier.key", allow_null=True, default=None)
    to_tier = serializers.CharField(source="to_tier.key", allow_null=True, default=None)
    reason = serializers.CharField()
    takes_effect_on = serializers.DateField(allow_null=True)
    criteria_version = serializers.IntegerField(source="version")
    undone = serializers.SerializerMethodField()

    @extend_schema_field(serializers.BooleanField())
    def get_undone(self, change) -> bool:
        return change.undone_at is not None


class HistoryFilterSerializer(StrictSerializer):
    since = serializers.DateField(required=False, help_text="Changes dated on or after this day.")
    partner_ref = serializers.CharField(required=False)
    page_size = serializers.IntegerField(required=False, min_value=1, max_value=1000)
    cursor = serializers.CharField(required=False)


class PlacementFilterSerializer(StrictSerializer):
    program = serializers.SlugField(required=False)
    tier = serializers.SlugField(required=False)
    at_risk = serializers.BooleanField(required=False)
    page_size = serializers.IntegerField(required=False, min_value=1, max_value=1000)
    cursor = serializers.CharField(required=False)


class TrackSerializer(StrictSerializer):
    program = serializers.SlugField(
        required=False, help_text="Which of the partner's programs; needed when it is in several."
    )


class OverrideSerializer(TrackSerializer):
    tier = serializers.SlugField()
    until = serializers.DateField(help_text="The first day the rules apply again.")
    reason = serializers.CharField(max_length=1000)


class RunStartSerializer(StrictSerializer):
    as_of = serializers.DateField(required=False, help_text="Default: today, in the tenant's time.")


class RunSerializer(serializers.Serializer):
    id = serializers.IntegerField(source="pk")
    program = serializers.CharField(source="program.key")
    as_of = serializers.DateField()
    status = serializers.CharField()
    started_at = serializers.DateTimeField()
    finished_at = serializers.DateTimeField(allow_null=True)
    summary = serializers.JSONField()
    message = serializers.CharField()


class ProgramResultSerializer(serializers.Serializer):
    program = serializers.JSONField(help_text="The program file as stored.")
    version = serializers.IntegerField()
    changed = serializers.BooleanField()
    warnings = serializers.ListField(child=serializers.CharField())


class PreviewSerializer(serializers.Serializer):
    as_of = serializers.DateField()
    counts = serializers.DictField(child=serializers.IntegerField())
    moves = serializers.ListField(child=serializers.DictField())
