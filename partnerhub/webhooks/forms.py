from django import forms

from partnerhub.api.models import ApiKeyScope

from .models import EventType


class ApiKeyForm(forms.Form):
    name = forms.CharField(max_length=100, help_text="What uses it, e.g. “CRM sync”.")
    scope = forms.ChoiceField(choices=ApiKeyScope.choices, initial=ApiKeyScope.READ)


class EndpointForm(forms.Form):
    url = forms.URLField(
        max_length=500,
        label="URL",
        assume_scheme="https",
        help_text="https:// and a public address.",
    )
    events = forms.MultipleChoiceField(
        choices=EventType.choices, widget=forms.CheckboxSelectMultiple
    )
    description = forms.CharField(max_length=200, required=False)
