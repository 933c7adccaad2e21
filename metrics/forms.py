import datetime

from django import forms

from .models import Metric
from .selectors import MetricValueFilter


class MetricForm(forms.ModelForm):
    class Meta:
        model = Metric
        fields = ["key", "name", "unit", "unit_label", "month_reading", "rollup", "description"]
        widgets = {"description": forms.Textarea(attrs={"rows": 3})}

    def clean_key(self):
        key = self.cleaned_data["key"].strip().lower()
        others = Metric.objects.filter(key=key)
        if self.instance.pk:
            others = others.exclude(pk=self.instance.pk)
        if others.exists():
            raise forms.ValidationError(f"Another metric already has the key “{key}”.")
        return key


class MetricUploadForm(forms.Form):
    file = forms.FileField(
        label="CSV or Excel file",
        help_text="Columns partner_ref, metric, period (YYYY-MM), value. "
        "A value for a partner, metric and month that exists is replaced.",
    )


class MonthField(forms.CharField):
    widget = forms.TextInput(attrs={"type": "month", "placeholder": "YYYY-MM"})

    def to_python(self, value):
        value = super().to_python(value)
        if not value:
            return None
        try:
            return datetime.datetime.strptime(value, "%Y-%m").date()
        except ValueError:
            raise forms.ValidationError("Enter a month as YYYY-MM.") from None


class MetricExportForm(forms.Form):
    partner = forms.CharField(required=False, max_length=64, label="Partner reference")
    metric = forms.ChoiceField(required=False)
    first = MonthField(required=False, label="From month")
    last = MonthField(required=False, label="To month")

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["metric"].choices = [
            ("", "All metrics"),
            *Metric.objects.order_by("name").values_list("key", "name"),
        ]

    def clean(self):
        data = super().clean()
        if data.get("first") and data.get("last") and data["first"] > data["last"]:
            self.add_error("last", "The last month is before the first.")
        return data

    def filters(self) -> MetricValueFilter:
        data = self.cleaned_data
        return MetricValueFilter(
            partner_ref=data.get("partner") or "",
            metric_key=data.get("metric") or "",
            first_month=data.get("first"),
            last_month=data.get("last"),
        )
