from rest_framework import serializers

from partnerhub.api.serializers import StrictSerializer

MAX_VALUES_PER_CALL = 50_000
VALUE_FIELDS = ("partner_ref", "metric", "period", "value")


class MetricValueSerializer(serializers.Serializer):
    partner_ref = serializers.CharField(source="partner.ref")
    metric = serializers.CharField(source="metric.key")
    period = serializers.SerializerMethodField()
    value = serializers.DecimalField(max_digits=18, decimal_places=4)

    def get_period(self, value) -> str:
        return value.period.strftime("%Y-%m")


class MetricValueInSerializer(serializers.Serializer):
    """The shape of one value, for the schema; the view checks values itself, to report every
    problem of 50,000 by its index without building 50,000 serializers."""

    partner_ref = serializers.CharField(max_length=200)
    metric = serializers.CharField(max_length=200)
    period = serializers.CharField(help_text="A month that has ended, YYYY-MM.")
    value = serializers.CharField(help_text="A decimal, as text or a JSON number (up to 4 places).")


class MetricValuesPostSerializer(serializers.Serializer):
    values = MetricValueInSerializer(many=True, help_text=f"Up to {MAX_VALUES_PER_CALL:,}.")
    close = serializers.RegexField(
        r"^\d{4}-\d{2}$",
        required=False,
        help_text="YYYY-MM: with the values written, mark this month (and every month before) "
        "complete. A month that has not ended is refused, and then nothing is written.",
    )


class MetricValuesResultSerializer(serializers.Serializer):
    rows = serializers.IntegerField()
    inserted = serializers.IntegerField()
    updated = serializers.IntegerField()
    unchanged = serializers.IntegerField()
    closed = serializers.CharField(required=False, help_text="The month closed, when asked.")


class MetricValueFilterSerializer(StrictSerializer):
    partner_ref = serializers.CharField(required=False)
    metric = serializers.CharField(required=False)
    first = serializers.RegexField(r"^\d{4}-\d{2}$", required=False, help_text="From YYYY-MM.")
    last = serializers.RegexField(r"^\d{4}-\d{2}$", required=False, help_text="To YYYY-MM.")
    page_size = serializers.IntegerField(required=False, min_value=1, max_value=1000)
    cursor = serializers.CharField(required=False)
