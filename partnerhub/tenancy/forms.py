from django import forms
from django.contrib.auth import password_validation

from .models import Role


class InvitationForm(forms.Form):
    email = forms.EmailField(label="E-mail")
    role = forms.ChoiceField(choices=Role.choices)
    partner = forms.ModelChoiceField(
        queryset=None, required=False, help_text="Required for partner users."
    )

    def __init__(self, *args, partners, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["partner"].queryset = partners

    def clean(self):
        data = super().clean()
        if data.get("role") == Role.PARTNER and not data.get("partner"):
            self.add_error("partner", "Choose the partner this person works for.")
        if data.get("role") in (Role.ADMIN, Role.MANAGER) and data.get("partner"):
            self.add_error("partner", "Only partner users belong to a partner.")
        return data


class AccountFromInvitationForm(forms.Form):
    full_name = forms.CharField(max_length=150, label="Your name")
    password1 = forms.CharField(label="Password", widget=forms.PasswordInput)
    password2 = forms.CharField(label="Password again", widget=forms.PasswordInput)

    def __init__(self, *args, email: str, **kwargs):
        self.email = email
        super().__init__(*args, **kwargs)

    def clean(self):
        data = super().clean()
        password = data.get("password1")
        if password and password != data.get("password2"):
            self.add_error("password2", "The two passwords differ.")
        elif password:
            try:
                password_validation.validate_password(password)
            except forms.ValidationError as error:
                self.add_error("password1", error)
        return data
