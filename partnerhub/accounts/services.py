from allauth.account.models import EmailAddress
from django.db import transaction

from .models import User


@transaction.atomic
def user_get_or_create(
    *, email: str, password: str | None = None, full_name: str = ""
) -> tuple[User, bool]:
    """Find the person by e-mail or create them with a verified address.

    An existing person's password is left alone: a scripted set-up must not reset a real
    person's password by running again.
    """
    email = User.objects.normalize_email(email).lower()
    user = User.objects.filter(email__iexact=email).first()
    created = user is None
    if created:
        first_name, _, last_name = full_name.partition(" ")
        user = User.objects.create_user(
            email, password or None, first_name=first_name, last_name=last_name
        )
        if not password:
            user.set_unusable_password()
            user.save(update_fields=["password"])
    EmailAddress.objects.update_or_create(
        user=user, email=email, defaults={"verified": True, "primary": True}
    )
    return user, created
