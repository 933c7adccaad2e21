from django import forms
from django_scopes.forms import SafeModelChoiceField

from tiers.models import Program

from .models import Partner, PartnerStatus
from .selectors import (
    PARTNER_SORTS,
    PartnerFilters,
    partner_managers,
    partner_regions,
    partner_types,
    tier_choices,
)


class PartnerFilterForm(forms.Form):
    q = forms.CharField(required=False, max_length=100, label="Search")
    type = forms.ChoiceField(required=False)
    region = forms.ChoiceField(required=False)
    status = forms.ChoiceField(required=False, choices=[("", "Any status"), *PartnerStatus.choices])
    manager = forms.ModelChoiceField(
        required=False, queryset=None, empty_label="Any manager", label="Account manager"
    )
    tier = forms.ChoiceField(required=False)
    at_risk = forms.BooleanField(required=False, label="At risk only")
    sort = forms.ChoiceField(required=False, choices=[(key, key) for key in PARTNER_SORTS])

    def __init__(self, *args, tenant, **kwargs):
        super().__init__(*args, **kwargs)
        types = partner_types(tenant=tenant)
        self.fields["type"].choices = [("", "Any type")] + [(t, t) for t in types]
        regions = partner_regions(tenant=tenant)
        self.fields["region"].choices = [("", "Any region")] + [(r, r) for r in regions]
        self.fields["manager"].queryset = partner_managers()
        self.fields["tier"].choices = [
            ("", "Any tier"),
            *((str(tier.pk), f"{tier.name} ({tier.program.name})") for tier in tier_choices()),
            ("none", "No tier"),
        ]

    def filters(self) -> PartnerFilters:
        """The valid part of the query: a bad value is reported and that filter is ignored."""
        data = getattr(self, "cleaned_data", {})
        return PartnerFilters(
            search=data.get("q") or "",
            type=data.get("type") or "",
            region=data.get("region") or "",
            status=data.get("status") or "",
            account_manager=data.get("manager"),
            tier=data.get("tier") or "",
            at_risk=bool(data.get("at_risk")),
            sort=data.get("sort") or "ref",
        )


class PartnerForm(forms.ModelForm):
    class Meta:
        model = Partner
        fields = [
            "ref",
            "name",
            "type",
            "region",
            "status",
            "account_manager",
            "joined_on",
        ]
        widgets = {"joined_on": forms.DateInput(attrs={"type": "date"})}
        field_classes = {"account_manager": SafeModelChoiceField}

    programs = forms.ModelMultipleChoiceField(
        queryset=None,
        required=False,
        widget=forms.CheckboxSelectMultiple,
        help_text="Each program places the partner on its own. Leaving one ends the partner's "
        "standing there; its history keeps it.",
    )

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["account_manager"].queryset = partner_managers()
        self.fields["account_manager"].label_from_instance = lambda m: m.user.display_name
        self.fields["programs"].queryset = Program.objects.order_by("name")
        if self.instance.pk:
            self.initial["programs"] = list(self.instance.programs.values_list("pk", flat=True))
        self.fields["joined_on"].required = False
        self.fields["joined_on"].help_text = "Leave empty for today."

    def clean_type(self):
        return self.cleaned_data["type"].strip().lower()

    def clean_ref(self):
        ref = self.cleaned_data["ref"].strip()
        others = Partner.objects.filter(ref=ref)
        if self.instance.pk:
            others = others.exclude(pk=self.instance.pk)
        if others.exists():
            raise forms.ValidationError(f"Another partner already has the reference “{ref}”.")
        return ref


UNASSIGN = "none"


class PartnerBulkForm(forms.Form):
    """An action on chosen partners: those ticked on the page, or all the filters match."""

    action = forms.ChoiceField(choices=[("assign", "Assign"), ("export", "Export")])
    scope = forms.ChoiceField(
        choices=[("selected", "Ticked"), ("matching", "All matching")], initial="selected"
    )
    partner = forms.ModelMultipleChoiceField(queryset=None, required=False)
    account_manager = forms.ChoiceField(required=False, label="Account manager")
    query = forms.CharField(required=False, max_length=2000)

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["partner"].queryset = Partner.objects.all()
        self.managers = {str(m.pk): m for m in partner_managers()}
        self.fields["account_manager"].choices = [
            ("", "Choose a manager…"),
            *((pk, m.user.display_name) for pk, m in self.managers.items()),
            (UNASSIGN, "No account manager"),
        ]

    def clean(self):
        data = super().clean()
        if data.get("scope") == "selected" and not data.get("partner") and "partner" in data:
            self.add_error(
                "partner", "Tick at least one partner, or choose all that match the filters."
            )
        if data.get("action") == "assign" and not data.get("account_manager"):
            self.add_error("account_manager", "Choose the manager to assign, or no manager.")
        return data

    def manager(self):
        """The membership to assign, or None to leave the partners without one."""
        chosen = self.cleaned_data["account_manager"]
        return None if chosen == UNASSIGN else self.managers[chosen]
