"""The tiers' small forms: overrides, the movements period and a tier's benefits. The criteria
editor is a rule builder of its own (rule_builder.py)."""

import calendar

from django import forms

from .models import BenefitKind, DemotionPolicy
from .program_file import DISCOUNT_PROBLEM, discount_percent


class OverrideForm(forms.Form):
    tier = forms.ModelChoiceField(queryset=None)
    until = forms.DateField(
        widget=forms.DateInput(attrs={"type": "date"}), label="Until (exclusive)"
    )
    reason = forms.CharField(widget=forms.Textarea(attrs={"rows": 2}), max_length=500)

    def __init__(self, *args, tiers, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["tier"].queryset = tiers


MONTHS = [(n, f"{n} – {name}") for n, name in enumerate(calendar.month_name) if n]


class GovernanceForm(forms.Form):
    demotions = forms.ChoiceField(
        choices=DemotionPolicy.choices,
        label="Demotions take effect on",
        help_text="A due demotion waits, at risk, until this date; promotions are at once.",
    )
    demotion_approval = forms.BooleanField(
        required=False, label="A manager approves each demotion before it takes effect"
    )
    require_closed_months = forms.BooleanField(
        required=False, label="Run only once the months the rules read are closed"
    )
    fiscal_year_start = forms.TypedChoiceField(
        choices=MONTHS,
        coerce=int,
        label="The fiscal year starts in",
        help_text="For every program of this tenant: fiscal windows and quarterly or yearly "
        "reviews follow it.",
    )


class HoldForm(forms.Form):
    until = forms.DateField(
        widget=forms.DateInput(attrs={"type": "date"}), label="Hold until (exclusive)"
    )
    reason = forms.CharField(widget=forms.Textarea(attrs={"rows": 2}), max_length=500)


class MovementPeriodForm(forms.Form):
    first = forms.DateField(
        required=False, widget=forms.DateInput(attrs={"type": "date"}), label="From"
    )
    last = forms.DateField(
        required=False, widget=forms.DateInput(attrs={"type": "date"}), label="To"
    )


class BenefitForm(forms.Form):
    title = forms.CharField(max_length=200)
    kind = forms.ChoiceField(choices=BenefitKind.choices, initial=BenefitKind.OTHER)
    value = forms.CharField(max_length=100, required=False, help_text="e.g. 12 % or $10,000 a year")
    description = forms.CharField(required=False, widget=forms.Textarea(attrs={"rows": 2}))

    def clean(self):
        data = super().clean()
        if data.get("kind") == BenefitKind.DISCOUNT and discount_percent(data.get("value")) is None:
            self.add_error("value", DISCOUNT_PROBLEM[0].upper() + DISCOUNT_PROBLEM[1:] + ".")
        return data


BenefitFormSet = forms.formset_factory(BenefitForm, extra=2, can_delete=True)
