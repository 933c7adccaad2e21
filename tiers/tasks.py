import datetime
from collections import defaultdict

from django.core.cache import cache
from django.core.mail import send_mail
from django.db import IntegrityError, transaction
from django.urls import reverse
from django.utils import timezone

from partnerhub.celery import app
from partnerhub.tenancy.models import Membership, Role, Tenant
from partnerhub.tenancy.tasks import TenantTask
from partnerhub.tenancy.unscoped import tenant_ids
from partners.models import Partner

from .models import Notice, Program, RunStatus
from .services import (
    RecalculationRefused,
    placements_recalculate,
    run_record_finish,
    run_record_start,
)

NOTIFIED_REASONS = {"promotion", "demotion", "grace_expiry", "at_risk"}


@app.task
def recalculate_due_tenants() -> None:
    """Every few minutes (beat): start tonight's run for each tenant whose local run time passed."""
    for tenant_id in tenant_ids():
        recalculate_tenant_if_due.delay(tenant_id=tenant_id)


@app.task(base=TenantTask)
def recalculate_tenant_if_due(*, tenant: Tenant) -> None:
    now = timezone.localtime(timezone=tenant.zone)
    if now.time() < tenant.nightly_run_at:
        return
    today = now.date()
    for program in Program.objects.filter(active=True):
        if program.last_evaluated_on is None or program.last_evaluated_on < today:
            recalculate_program(tenant_id=tenant.pk, program_id=program.pk, as_of=today.isoformat())


@app.task(base=TenantTask)
def recalculate_program(*, tenant: Tenant, program_id: int, as_of: str, started_by_id=None) -> str:
    program = Program.objects.get(pk=program_id)
    run = run_record_start(
        program=program, as_of=datetime.date.fromisoformat(as_of), started_by=_user(started_by_id)
    )

    def report_progress(done: int, total: int) -> None:
        cache.set(run_progress_key(run.pk), round(100 * done / total), timeout=3600)

    try:
        summary = placements_recalculate(program=program, as_of=run.as_of, progress=report_progress)
    except RecalculationRefused as refused:
        run_record_finish(run=run, status=RunStatus.SKIPPED, message=str(refused))
        return RunStatus.SKIPPED
    except Exception as error:
        run_record_finish(
            run=run, status=RunStatus.FAILED, message=f"{type(error).__name__}: {error}"
        )
        raise
    run_record_finish(run=run, status=RunStatus.DONE, summary=summary)
    return RunStatus.DONE


def run_progress_key(run_id: int) -> str:
    return f"tier-run:{run_id}:percent"


def _user(user_id):
    from partnerhub.accounts.models import User

    return User.objects.filter(pk=user_id).first() if user_id else None


@app.task(base=TenantTask)
def notify_placement_changes(
    *, tenant: Tenant, program_id: int, on: str, changes: list[dict]
) -> int:
    """Tell a partner's users and its account manager about each move, once per event."""
    sent = 0
    partners = Partner.objects.in_bulk([c["partner_id"] for c in changes])
    recipients = _recipients_by_partner(partners)
    link = reverse("portal_home", kwargs={"tenant_slug": tenant.slug})
    for change in changes:
        if change["reason"] not in NOTIFIED_REASONS:
            continue
        partner = partners.get(change["partner_id"])
        if partner is None:
            continue
        text = _notice_text(partner, change)
        event = f"placement:{partner.pk}:{on}:{change['reason']}:{change['to']}"
        for membership in recipients.get(partner.pk, []):
            try:
                with transaction.atomic():
                    Notice.objects.create(
                        tenant=tenant, user=membership.user, event=event, text=text, link=link
                    )
            except IntegrityError:
                continue  # already told
            send_mail(f"{tenant.name}: {text}", text, None, [membership.user.email])
            sent += 1
    return sent


def _recipients_by_partner(partners: dict[int, Partner]) -> dict[int, list[Membership]]:
    """Each partner's users, then its account manager: two queries for the whole batch."""
    recipients: dict[int, list[Membership]] = defaultdict(list)
    users = Membership.objects.filter(partner_id__in=list(partners), role=Role.PARTNER)
    for membership in users.select_related("user").order_by("pk"):
        recipients[membership.partner_id].append(membership)
    manager_ids = {p.account_manager_id for p in partners.values() if p.account_manager_id}
    managers = Membership.objects.select_related("user").in_bulk(manager_ids)
    for partner in partners.values():
        if partner.account_manager_id in managers:
            recipients[partner.pk].append(managers[partner.account_manager_id])
    return recipients


def _notice_text(partner: Partner, change: dict) -> str:
    name, before, after = partner.name, change["from"] or "no tier", change["to"] or "no tier"
    if change["reason"] == "promotion":
        return f"{name} moved up from {before} to {after}."
    if change["reason"] == "at_risk":
        day = datetime.date.fromisoformat(change["takes_effect_on"])
        return (
            f"{name} no longer meets the {before} criteria: unless it qualifies again, "
            f"the move to a lower tier takes effect on {day:%d %B %Y}."
        )
    return f"{name} moved down from {before} to {after}."
