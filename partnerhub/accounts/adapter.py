from allauth.account.adapter import DefaultAccountAdapter
from django import forms

from . import throttle


class AccountAdapter(DefaultAccountAdapter):
    def is_open_for_signup(self, request):
        # People join a tenant through an invitation (or `add_member`), never by signing up.
        return False

    def pre_authenticate(self, request, **credentials):
        super().pre_authenticate(request, **credentials)  # allauth's per-address limit
        email = credentials.get("email", "")
        if throttle.device_is_trusted(request, email):
            return
        wait = throttle.seconds_to_wait(email)
        if wait:
            raise forms.ValidationError(
                f"Too many failed sign-ins to this account: try again in {wait} seconds."
            )

    def authentication_failed(self, request, **credentials):
        email = credentials.get("email", "")
        if not throttle.device_is_trusted(request, email):
            throttle.failure_record(email)

    def post_login(self, request, user, **kwargs):
        response = super().post_login(request, user, **kwargs)
        throttle.success_record(user.email)
        response.set_cookie(
            throttle.DEVICE_COOKIE,
            throttle.device_cookie_value(request, user.email),
            max_age=throttle.DEVICE_COOKIE_AGE,
            secure=request.is_secure(),
            httponly=True,
            samesite="Lax",
        )
        return response
