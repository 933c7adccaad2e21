"""Notices, in the app and by e-mail: the one path every kind of notice takes.

A notice is written once per person and event (the database refuses a repeat, so a retried
run or step tells nobody twice) and the new ones are mailed by one task after the transaction
commits: the mail never goes out for something that was rolled back, and a queue that is down
loses only the mail, never the notice.
"""

from collections.abc import Iterable
from dataclasses import dataclass

from django.conf import settings
from django.core.mail import send_mail
from django.db import IntegrityError, transaction

from .models import Notice

SUBJECT_CHARS = 70  # the text after "<program>: ", so a subject reads whole in an inbox


@dataclass(frozen=True)
class Recipient:
    user_id: int
    subject: str = ""  # a subject of its own ("you are now Gold"); empty: the text, cut short


def notices_send(
    *,
    tenant_id: int,
    event: str,
    text: str,
    link: str,
    recipients: Iterable[Recipient],
    mail: bool = True,
) -> list[Notice]:
    """Tell each recipient not yet told of `event`; the new notices, mailed after commit (a
    caller that is itself a task and tells many passes mail=False and mails them together)."""
    wanted = {r.user_id: r for r in recipients}
    told = set(
        Notice.objects.filter(event=event, user_id__in=list(wanted)).values_list(
            "user_id", flat=True
        )
    )
    fresh = [
        Notice(
            tenant_id=tenant_id,
            user_id=r.user_id,
            event=event,
            text=text,
            subject=r.subject,
            link=link,
        )
        for r in wanted.values()
        if r.user_id not in told
    ]
    try:
        with transaction.atomic():
            notices = Notice.objects.bulk_create(fresh)
    except IntegrityError:  # told meanwhile by a concurrent run: keep the ones that are new
        notices = [notice for notice in map(_create_once, fresh) if notice is not None]
    ids = [notice.pk for notice in notices]
    if ids and mail:
        from .tasks import mail_notices

        transaction.on_commit(
            lambda: mail_notices.delay(tenant_id=tenant_id, notice_ids=ids), robust=True
        )
    return notices


def _create_once(notice: Notice) -> Notice | None:
    try:
        with transaction.atomic():
            notice.save()
    except IntegrityError:
        return None
    return notice


def notices_mail(notices: Iterable[Notice], *, tenant_name: str) -> int:
    """Mail each notice to its person: "<tenant>: <subject>", the text and the link."""
    sent = 0
    for notice in notices:
        text = notice.text
        subject = notice.subject or (
            text if len(text) <= SUBJECT_CHARS else text[: SUBJECT_CHARS - 1].rstrip() + "…"
        )
        body = f"{text}\n\n{settings.PUBLIC_BASE_URL}{notice.link}" if notice.link else text
        send_mail(f"{tenant_name}: {subject}", body, None, [notice.user.email])
        sent += 1
    return sent
