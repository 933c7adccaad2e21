from decimal import Decimal

from django import forms

from .models import ActivityType

MONEY = {"max_digits": 14, "decimal_places": 2, "min_value": Decimal("0.01")}


class DateInput(forms.DateInput):
    input_type = "date"


class FundRequestForm(forms.Form):
    title = forms.CharField(max_length=200)
    activity_type = forms.ChoiceField(choices=ActivityType.choices, label="Type")
    starts_on = forms.DateField(widget=DateInput, label="Starts on")
    ends_on = forms.DateField(widget=DateInput, label="Ends on")
    amount = forms.DecimalField(**MONEY, label="Amount requested")
    description = forms.CharField(
        widget=forms.Textarea(attrs={"rows": 4}),
        required=False,
        help_text="What the activity is, who it reaches, what you expect from it.",
    )


class ApproveForm(forms.Form):
    amount = forms.DecimalField(**MONEY, label="Amount approved")
    note = forms.CharField(
        widget=forms.Textarea(attrs={"rows": 2}),
        required=False,
        label="Note to the partner",
        help_text="Required when approving less than requested.",
    )


class ReasonForm(forms.Form):
    reason = forms.CharField(widget=forms.Textarea(attrs={"rows": 2}), label="Reason")


class MultipleFileInput(forms.ClearableFileInput):
    allow_multiple_selected = True


class MultipleFileField(forms.FileField):
    """Several files in one field (Django's documented pattern)."""

    def __init__(self, *args, **kwargs):
        kwargs.setdefault("widget", MultipleFileInput())
        super().__init__(*args, **kwargs)

    def clean(self, data, initial=None):
        single = super().clean
        if isinstance(data, list | tuple):
            return [single(item, initial) for item in data]
        return [single(data, initial)] if data else []


class ClaimForm(forms.Form):
    actual_cost = forms.DecimalField(**MONEY, label="Actual cost")
    documents = MultipleFileField(
        label="Proof of performance",
        help_text="Invoices, photos, attendee lists: PDF, images, Office files, CSV.",
    )
    note = forms.CharField(widget=forms.Textarea(attrs={"rows": 2}), required=False)
