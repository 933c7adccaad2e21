"""Slowing down password guessing without letting a stranger lock the owner out.

Per client address, allauth's own limit applies (LOGIN_FAILED_RATE_LIMIT, in the cache).
Per account, failures from browsers that have never signed in to it count here: from the 5th
within 15 minutes, each further attempt from such a browser must wait 5 s, then 10 s, 20 s ...
up to a minute; an attempt within the wait is refused without checking the password. A browser
that has signed in to the account before holds a signed device cookie for it and is never
slowed down, so the owner's own browser always gets in with the right password (and MFA where
enrolled), whoever hammers the account elsewhere (OWASP's "device cookies").
"""

import datetime
import math

from django.core import signing
from django.db import transaction
from django.db.models import F
from django.utils import timezone

from .models import SignInThrottle

FREE_FAILURES = 4
FAILURE_WINDOW = datetime.timedelta(minutes=15)
FIRST_WAIT_SECONDS = 5
LONGEST_WAIT_SECONDS = 60
DEVICE_COOKIE = "partnerhub_device"
DEVICE_COOKIE_AGE = 180 * 24 * 60 * 60
_SALT = "partnerhub.accounts.device"


def _normalised(email: str) -> str:
    return (email or "").strip().lower()


def device_is_trusted(request, email: str) -> bool:
    value = request.COOKIES.get(DEVICE_COOKIE)
    if not value:
        return False
    try:
        emails = signing.loads(value, salt=_SALT, max_age=DEVICE_COOKIE_AGE)
    except signing.BadSignature:
        return False
    return _normalised(email) in emails


def device_cookie_value(request, email: str) -> str:
    """The cookie after `email` signed in from this browser (it can hold a few accounts)."""
    emails = []
    value = request.COOKIES.get(DEVICE_COOKIE)
    if value:
        try:
            emails = list(signing.loads(value, salt=_SALT, max_age=DEVICE_COOKIE_AGE))
        except signing.BadSignature:
            emails = []
    emails = [*[e for e in emails if e != _normalised(email)][-4:], _normalised(email)]
    return signing.dumps(emails, salt=_SALT)


def seconds_to_wait(email: str, *, now: datetime.datetime | None = None) -> int:
    now = now or timezone.now()
    throttle = SignInThrottle.objects.filter(email=_normalised(email)).first()
    if throttle is None or throttle.next_attempt_at is None or throttle.next_attempt_at <= now:
        return 0
    return math.ceil((throttle.next_attempt_at - now).total_seconds())


@transaction.atomic
def failure_record(email: str, *, now: datetime.datetime | None = None) -> None:
    now = now or timezone.now()
    throttle, created = SignInThrottle.objects.select_for_update().get_or_create(
        email=_normalised(email), defaults={"failures": 1, "first_failure_at": now}
    )
    if created:
        return
    if now - throttle.first_failure_at > FAILURE_WINDOW:
        throttle.failures, throttle.first_failure_at, throttle.next_attempt_at = 1, now, None
    else:
        throttle.failures = F("failures") + 1
    throttle.save()
    throttle.refresh_from_db()
    beyond = throttle.failures - FREE_FAILURES
    if beyond > 0:
        wait = min(FIRST_WAIT_SECONDS * 2 ** (beyond - 1), LONGEST_WAIT_SECONDS)
        SignInThrottle.objects.filter(pk=throttle.pk).update(
            next_attempt_at=now + datetime.timedelta(seconds=wait)
        )


def success_record(email: str) -> None:
    SignInThrottle.objects.filter(email=_normalised(email)).delete()
