import datetime
from collections import defaultdict

from django.conf import settings
from django.core.cache import cache
from django.urls import reverse
from django.utils import timezone

from partnerhub.celery import app
from partnerhub.jobs import job_step
from partnerhub.keyset import in_batches
from partnerhub.tenancy.models import Membership, Role, Tenant
from partnerhub.tenancy.tasks import JobTask, TenantTask
from partnerhub.tenancy.unscoped import tenant_ids
from partners.models import Partner

from .models import Notice, Placement, PlacementChange, Program, RecalculationRun, RunStatus, Tier
from .notices import Recipient, notices_mail, notices_send
from .selectors import history_written, open_data
from .services import (
    recalculation_apply,
    recalculation_chunk_stage,
    recalculation_queue,
    recalculation_run,
    recalculation_split,
)

NOTIFIED_REASONS = {"placed", "promotion", "demotion", "grace_expiry", "at_risk"}


@app.task
def recalculate_due_tenants() -> None:
    """Every few minutes (beat): start tonight's run for each tenant whose local run time passed."""
    for tenant_id in tenant_ids():
        recalculate_tenant_if_due.delay(tenant_id=tenant_id)


NIGHTLY_ATTEMPTS = 3  # failed runs of one program and night before the nightly gives up


@app.task(base=TenantTask)
def recalculate_tenant_if_due(*, tenant: Tenant) -> int:
    """Queue tonight's run of each of the tenant's programs, each its own task: one program's
    failure never holds another back. A program is not queued again while its run waits or
    runs, nor after NIGHTLY_ATTEMPTS failures tonight (the dashboard shows them), nor while a
    program that requires closed months reads a month still open."""
    now = timezone.localtime(timezone=tenant.zone)
    if now.time() < tenant.nightly_run_at:
        return 0
    today = now.date()
    tonight = RecalculationRun.objects.filter(as_of=today)
    queued = 0
    for program in Program.objects.filter(active=True):
        if program.last_evaluated_on is not None and program.last_evaluated_on >= today:
            continue
        runs = tonight.filter(program=program)
        if runs.filter(status__in=[RunStatus.QUEUED, RunStatus.RUNNING]).exists():
            continue
        if runs.filter(status=RunStatus.FAILED).count() >= NIGHTLY_ATTEMPTS:
            continue
        if open_data(program, today):
            continue  # waiting for data; the dashboard says which (and tries again later)
        recalculation_queue(program=program, as_of=today)
        queued += 1
    return queued


@app.task(base=JobTask, bind=True)
def recalculate_program(self, *, tenant: Tenant, run_id: int) -> str:
    """Run one program's evaluation here, or, for a program larger than RUN_SPLIT_ABOVE
    partners, split it into chunks for several workers (evaluate_run_chunk, apply_run)."""
    run = RecalculationRun.objects.select_related("program").get(pk=run_id)
    if run.is_finished:
        return run.status  # a duplicate delivery
    self.wait_while_alive(RecalculationRun, run_id)
    if Placement.objects.filter(program=run.program).count() > settings.RUN_SPLIT_ABOVE:
        attempt = recalculation_split(run=run, size=settings.RUN_SPLIT_CHUNK)
        if attempt is not None:
            for chunk in range(len(run.chunks)):
                evaluate_run_chunk.delay(
                    tenant_id=tenant.pk, run_id=run.pk, chunk=chunk, attempt=attempt
                )
        return run.status

    def report_progress(done: int, total: int) -> None:
        cache.set(run_progress_key(run.pk), round(100 * done / total), timeout=3600)

    return recalculation_run(run=run, progress=report_progress).status


@app.task(base=JobTask)
def evaluate_run_chunk(*, tenant: Tenant, run_id: int, chunk: int, attempt: int) -> str:
    """Stage one chunk of a split run under the run's heartbeat; the last chunk applies it."""
    run = RecalculationRun.objects.select_related("program").get(pk=run_id)
    if run.status != RunStatus.RUNNING or run.attempts != attempt:
        return "stale"  # the run ended, or a newer attempt holds it
    with job_step(run, attempt, step=f"chunk {chunk + 1} of {len(run.chunks)}"):
        complete = recalculation_chunk_stage(run=run, chunk=chunk)
    if complete:
        apply_run.delay(tenant_id=tenant.pk, run_id=run.pk, attempt=attempt)
    return "staged"


@app.task(base=JobTask)
def apply_run(*, tenant: Tenant, run_id: int, attempt: int) -> str:
    run = RecalculationRun.objects.select_related("program").get(pk=run_id)
    return recalculation_apply(run=run, attempt=attempt).status


def run_progress_key(run_id: int) -> str:
    return f"tier-run:{run_id}:percent"


NOTICES_BATCH = 500  # moves told at a time: a first placement moves every partner


@app.task(base=TenantTask)
def notify_placement_changes(
    *, tenant: Tenant, program_id: int, on: str, after: int, last: int, by_id: int | None = None
) -> int:
    """Tell a partner's users and its account manager about each move in the history entries
    (after, last] of the program on `on` (see history_written), once per event; how many
    notices were mailed."""
    day = datetime.date.fromisoformat(on)
    moves = history_written(program_id, day, after=after, last=last, by=by_id).filter(
        reason__in=NOTIFIED_REASONS
    )
    tiers = {
        pk: (key, name)
        for pk, key, name in Tier.objects.filter(program_id=program_id).values_list(
            "pk", "key", "name"
        )
    }
    mailed = 0
    for batch in in_batches(moves, NOTICES_BATCH):
        told = _moves_tell(tenant, batch, tiers)
        mailed += notices_mail(told.order_by("pk"), tenant_name=tenant.name)
    return mailed


def _moves_tell(tenant: Tenant, moves: list[PlacementChange], tiers: dict[int, tuple[str, str]]):
    """The in-app notices of `moves`, to be mailed by the caller; `tiers` by id: (key, name)."""
    told = []
    partners = Partner.objects.in_bulk([move.partner_id for move in moves])
    recipients = _recipients_by_partner(partners)
    home = reverse("portal_home", kwargs={"tenant_slug": tenant.slug})

    def partner_page(partner: Partner) -> str:
        return reverse(
            "partner_detail", kwargs={"tenant_slug": tenant.slug, "partner_pk": partner.pk}
        )

    for move in moves:
        partner = partners.get(move.partner_id)
        if partner is None:
            continue
        to_key, to_name = tiers.get(move.to_tier_id, (None, None))
        named = {
            "from": tiers.get(move.from_tier_id, (None, None))[1],
            "to": to_name,
            "reason": move.reason,
            "takes_effect_on": move.takes_effect_on,
        }
        event = f"placement:{partner.pk}:{move.on.isoformat()}:{move.reason}:{to_key}"
        text = _notice_text(partner, named)
        people = recipients.get(partner.pk, [])
        # The partner's own users read it on their home; its manager, on the partner's page.
        for own, link in ((True, home), (False, partner_page(partner))):
            subject = _subject(partner, named, own=own)
            told += notices_send(
                tenant_id=tenant.pk,
                event=event,
                text=text,
                link=link,
                recipients=[
                    Recipient(m.user_id, subject)
                    for m in people
                    if (m.partner_id == partner.pk) == own
                ],
                mail=False,
            )
    return Notice.objects.filter(pk__in=[notice.pk for notice in told]).select_related("user")


@app.task(base=TenantTask)
def mail_notices(*, tenant: Tenant, notice_ids: list[int]) -> int:
    """E-mail in-app notices to the people they are for (see notices.py)."""
    notices = Notice.objects.filter(pk__in=notice_ids).select_related("user").order_by("pk")
    return notices_mail(notices, tenant_name=tenant.name)


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


def _subject(partner: Partner, change: dict, *, own: bool) -> str:
    """Short: "you are now Gold" to the partner's users, "Northwind is now Gold" to others."""
    who, verb = ("you", "are") if own else (partner.name, "is")
    if change["reason"] == "at_risk":
        return f"{who} may lose {change['from']} on {change['takes_effect_on']:%d %B %Y}"
    if change["to"] is None:
        return f"{who} {verb} no longer in a tier"
    return f"{who} {verb} now {change['to']}"


def _notice_text(partner: Partner, change: dict) -> str:
    name, before, after = partner.name, change["from"] or "no tier", change["to"] or "no tier"
    if change["reason"] == "placed":
        return f"{name} was placed in {after}."
    if change["reason"] == "promotion":
        return f"{name} moved up from {before} to {after}."
    if change["reason"] == "at_risk":
        return (
            f"{name} no longer meets the {before} criteria: unless it qualifies again, "
            f"the move to a lower tier takes effect on {change['takes_effect_on']:%d %B %Y}."
        )
    return f"{name} moved down from {before} to {after}."
