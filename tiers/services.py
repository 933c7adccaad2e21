"""Placing partners in tiers: the recalculation, overrides, criteria versions, programs as files."""

import datetime
from collections import Counter
from collections.abc import Callable
from contextlib import nullcontext
from dataclasses import dataclass, field
from typing import ClassVar

from django.db import connection, transaction
from django.db.models import Max
from django.utils import timezone

from partnerhub.jobs import JobLost, job_claim, job_continue, job_run
from partnerhub.keyset import in_batches
from partnerhub.locks import LockFor, lock_until_commit, try_lock_until_commit
from partnerhub.queue import enqueue_on_commit
from partnerhub.tenancy.services import audit_record
from partnerhub.webhooks.models import EventType
from partnerhub.webhooks.services import events_emit
from partners.models import Partner

from .engine import Move, Standing
from .evaluation import (
    PLACEMENT_FIELDS,
    PlannedChange,
    RunPlan,
    RunWrites,
    chunk_evaluate,
    chunk_read,
    chunks_read,
    date_or_none,
    older_objects_left_uncollected,
    partner_chunks,
    staged_apply,
    staged_copy,
    statistics_refresh_after,
)
from .models import (
    ChangeReason,
    Placement,
    PlacementChange,
    Program,
    RecalculationRun,
    RunStatus,
    StagedPlacement,
    Tier,
)
from .selectors import history_last_id, history_written


class RecalculationRefused(Exception):
    """The run cannot go ahead (an earlier date, another run in progress); nothing changed."""


@dataclass
class RunSummary:
    as_of: datetime.date
    evaluated: int = 0
    placed: int = 0
    promoted: int = 0
    demoted: int = 0
    grace_expired: int = 0
    newly_at_risk: int = 0
    overridden: int = 0
    unchanged: int = 0
    awaiting_approval: int = 0  # due demotions left to the managers' queue
    # Each move, for a dry run (the what-if lists them). None for a real run: its moves are
    # in the history, and announced from there (a first placement moves every partner).
    changes: list[PlannedChange] | None = field(default_factory=list)
    # (tier before, tier after) → partners, for every partner evaluated: the what-if matrix.
    transitions: Counter = field(default_factory=Counter)

    COUNTS = (
        "evaluated",
        "placed",
        "promoted",
        "demoted",
        "grace_expired",
        "newly_at_risk",
        "overridden",
        "unchanged",
        "awaiting_approval",
    )

    # A move's reason → the count it adds to.
    COUNTED_AS: ClassVar[dict[str, str]] = {
        ChangeReason.PLACED: "placed",
        ChangeReason.PROMOTION: "promoted",
        ChangeReason.DEMOTION: "demoted",
        ChangeReason.GRACE_EXPIRY: "grace_expired",
        ChangeReason.OVERRIDE: "overridden",
        ChangeReason.AT_RISK: "newly_at_risk",
    }

    def count_change(self, reason: str, partners: int = 1) -> None:
        counted = self.COUNTED_AS[reason]
        setattr(self, counted, getattr(self, counted) + partners)

    def as_dict(self) -> dict:
        return {"as_of": self.as_of.isoformat()} | {
            name: getattr(self, name) for name in self.COUNTS
        }

    @classmethod
    def from_dict(cls, data: dict) -> "RunSummary":
        counts = {name: data.get(name, 0) for name in cls.COUNTS}
        return cls(as_of=datetime.date.fromisoformat(data["as_of"]), **counts)


Progress = Callable[[int, int], None]


def placements_recalculate(
    *,
    program: Program,
    as_of: datetime.date,
    dry_run: bool = False,
    progress: Progress | None = None,
    notify: bool = True,
    proposed: dict[str, object] | None = None,
) -> RunSummary:
    """Place every partner of `program` on `as_of`, in one transaction.

    Refuses a date after the tenant's today (one run far ahead would lock the program until
    then) and a date before the program's last evaluation; the same date again starts from the
    standing each partner had before that date, so a repeated or crashed-and-retried run ends
    exactly where one clean run would. One run per program at a time (an advisory lock).

    A dry run writes nothing and takes no lock, so it looks at any date, from today's
    standing; with `proposed` ({tier key: rule JSON}) it evaluates rules not saved yet, which
    is the what-if preview: the preview and the run are this one function.
    """
    if dry_run:
        return _evaluate_program(program, as_of, write=False, progress=progress, proposed=proposed)
    with transaction.atomic():
        program = _program_to_run(program, as_of)
        written_after = history_last_id(program.pk, as_of)
        summary = _evaluate_program(program, as_of, write=True, progress=progress)
        program.last_evaluated_on = as_of
        program.save(update_fields=["last_evaluated_on"])
        placement_changes_announce(program, as_of, after=written_after, notify=notify)
    return summary


def _program_to_run(program: Program, as_of: datetime.date) -> Program:
    """The program, locked for a real run on `as_of` in this transaction; RecalculationRefused
    for a date after the tenant's today or before the program's last evaluation, or while
    another run holds it."""
    today = program.tenant.local_today()
    if as_of > today:
        raise RecalculationRefused(
            f"{as_of:%Y-%m-%d} is after today ({today:%Y-%m-%d} in {program.tenant.name}); "
            "a real evaluation cannot run ahead of the calendar (a dry run can)."
        )
    _lock_program_run(program)
    program = Program.objects.select_for_update().get(pk=program.pk)
    if program.last_evaluated_on and as_of < program.last_evaluated_on:
        raise RecalculationRefused(
            f"{as_of:%Y-%m-%d} is before this program's last evaluation "
            f"({program.last_evaluated_on:%Y-%m-%d}); evaluations only move forward."
        )
    return program


def _lock_program_run(program: Program) -> None:
    if not try_lock_until_commit(LockFor.RUN, program.pk):
        raise RecalculationRefused(f"A recalculation of {program.name} is already running.")
    # The run reads the tenant's values in chunks (some on connections of their own): no import
    # may commit between two of them. An import under way finishes first.
    lock_until_commit(LockFor.IMPORT, program.tenant_id, shared=True)


def _evaluate_program(program, as_of, *, write, progress, proposed=None) -> RunSummary:
    """Evaluate the program chunk by chunk (see evaluation.py); when `write`, write each
    chunk's results as it goes, in this transaction."""
    plan = RunPlan.load(program, as_of, proposed)
    summary = RunSummary(as_of=as_of, changes=None if write else [])
    awaiting: dict[int, tuple[Standing, Move]] = {}
    chunks = partner_chunks(program)
    total, done = sum(count for _, _, count in chunks), 0
    writing = RunWrites(program, as_of) if write else nullcontext()
    with older_objects_left_uncollected(), writing as writes:
        for chunk, (_, _, count) in zip(chunks_read(plan, chunks), chunks, strict=True):
            rows = chunk_evaluate(plan, chunk, summary, awaiting)
            if writes is not None:
                writes.write(rows)
            done += count
            if progress:
                progress(done, total)
    if summary.changes is not None:
        summary.changes.sort(key=lambda change: change.partner_ref)
    summary.awaiting_approval = len(awaiting)
    if write and (program.demotion_approval or awaiting):
        from .governance import pending_demotions_sync  # governance builds on this module

        pending_demotions_sync(program, as_of, awaiting, plan.tier_by_key)
    return summary


def placement_changes_announce(
    program: Program, on: datetime.date, *, after: int, by=None, notify: bool = True
) -> None:
    """Announce the moves of `program` on `on` that the caller's transaction wrote to the
    history after entry `after`, by `by` (nobody: a run's own): webhook events now, and after
    the commit the notices. Both read the entries in batches, never a list of every move."""
    last = history_written(program.pk, on, after=after, by=by).aggregate(Max("pk"))["pk__max"]
    if last is None:
        return
    _placement_events(program, history_written(program.pk, on, after=after, last=last, by=by))
    if notify:
        from .tasks import notify_placement_changes

        # robust: the placements stand even if the queue cannot take the notices right then.
        transaction.on_commit(
            lambda: notify_placement_changes.delay(
                tenant_id=program.tenant_id,
                program_id=program.pk,
                on=on.isoformat(),
                after=after,
                last=last,
                by_id=by.pk if by else None,
            ),
            robust=True,
        )


MOVES_PER_READ = 2_000  # history entries read at a time to write their webhook events


def _placement_events(program: Program, entries) -> None:
    """Webhook events with the run's own writes: partner.at_risk for a partner newly at risk,
    placement.changed for every other move."""
    entries = entries.select_related("partner", "from_tier", "to_tier")
    for event_type, moves in (
        (EventType.PLACEMENT_CHANGED, entries.exclude(reason=ChangeReason.AT_RISK)),
        (EventType.PARTNER_AT_RISK, entries.filter(reason=ChangeReason.AT_RISK)),
    ):
        events_emit(
            tenant=program.tenant_id,
            type=event_type,
            items=(
                {
                    "partner_ref": move.partner.ref,
                    "program": program.key,
                    "from_tier": move.from_tier.key if move.from_tier else None,
                    "to_tier": move.to_tier.key if move.to_tier else None,
                    "reason": move.reason,
                    "on": move.on,
                    "takes_effect_on": move.takes_effect_on,
                }
                for batch in in_batches(moves, MOVES_PER_READ)
                for move in batch
            ),
        )


def recalculation_create(
    *, program: Program, as_of: datetime.date, started_by=None
) -> RecalculationRun:
    return RecalculationRun.objects.create(
        tenant_id=program.tenant_id, program=program, as_of=as_of, started_by=started_by
    )


def recalculation_queue(
    *, program: Program, as_of: datetime.date, started_by=None
) -> RecalculationRun:
    """Record a run and hand it to a worker; QueueUnavailable (and no record) when the queue
    cannot take it."""
    from .tasks import recalculate_program

    run = recalculation_create(program=program, as_of=as_of, started_by=started_by)

    def undo() -> None:
        RecalculationRun.objects.filter(pk=run.pk).delete()

    enqueue_on_commit(
        recalculate_program,
        undo=undo,
        tenant_id=program.tenant_id,
        run_id=run.pk,
    )
    return run


def recalculation_run(
    *, run: RecalculationRun, progress: Progress | None = None, notify: bool = True
) -> RecalculationRun:
    """Claim `run`, evaluate its program and record the outcome (the task's and the command's
    one path, by partnerhub.jobs.job_run). Returns the run as it ended; an unexpected error is
    recorded on it and raised."""

    def work() -> dict:
        summary = placements_recalculate(
            program=run.program, as_of=run.as_of, progress=progress, notify=notify
        )
        return {"status": RunStatus.DONE, "summary": summary.as_dict()}

    job_run(
        run,
        work=work,
        refused=RecalculationRefused,
        on_refused=lambda refused: {"status": RunStatus.SKIPPED, "message": str(refused)},
    )
    return run


# --- a run split over several workers ---------------------------------------------------------


def recalculation_split(*, run: RecalculationRun, size: int) -> int | None:
    """Claim `run` and cut its program into chunks of `size` partners, one task each; the
    attempt that holds the run, or None when another live attempt holds it."""
    attempt = job_claim(RecalculationRun, run.pk)
    if attempt is None:
        return None
    chunks = [[first, last] for first, last, _ in partner_chunks(run.program, size)]
    StagedPlacement.objects.filter(run=run).delete()  # an earlier attempt's, never applied
    RecalculationRun.objects.filter(pk=run.pk).update(chunks=chunks)
    run.refresh_from_db()
    return attempt


def recalculation_chunk_stage(*, run: RecalculationRun, chunk: int) -> bool:
    """Evaluate one chunk of a split run and stage its results, in a transaction of its own
    (again after a crash: the same rows replace the first ones). Nothing a partner sees
    changes. True for the one call that staged the run's last chunk: it applies the run."""
    first, last = run.chunks[chunk]
    plan = RunPlan.load(run.program, run.as_of)
    with transaction.atomic(), older_objects_left_uncollected():
        StagedPlacement.objects.filter(run=run, chunk=chunk).delete()
        read = chunk_read(plan, (first, last))
        rows = chunk_evaluate(plan, read, RunSummary(as_of=run.as_of, changes=None), {})
        with connection.cursor() as cursor:
            staged_copy(cursor, "tiers_stagedplacement", rows, run.tenant_id, run.pk, chunk)
        # Chunks finish one at a time here, so exactly one sees every chunk staged.
        RecalculationRun.objects.select_for_update().filter(pk=run.pk).get()
        staged = StagedPlacement.objects.filter(run=run).values("chunk").distinct().count()
    return staged == len(run.chunks)


def recalculation_apply(*, run: RecalculationRun, attempt: int) -> RecalculationRun:
    """Apply a split run's staged results in one transaction, and record how it ended (by
    partnerhub.jobs.job_continue: the split claimed the run). A crash before the commit leaves
    every placement as it was and the run to the sweeper; a second call for the same run finds
    it ended and does nothing."""

    def work() -> dict:
        # A second delivery of this apply waits here, then finds the run ended. Not a lock on
        # the run's row: the heartbeat skips a locked row, and an apply can outlast
        # JOB_STALE_SECONDS.
        lock_until_commit(LockFor.APPLY, run.pk)
        if not RecalculationRun.objects.filter(
            pk=run.pk, status=RunStatus.RUNNING, attempts=attempt
        ).exists():
            raise JobLost
        summary = _staged_runs_apply(run)
        StagedPlacement.objects.filter(run=run).delete()
        return {"status": RunStatus.DONE, "summary": summary.as_dict()}

    job_continue(
        run,
        attempt,
        work=work,
        refused=RecalculationRefused,
        on_refused=lambda refused: {"status": RunStatus.SKIPPED, "message": str(refused)},
    )
    return run


def _staged_runs_apply(run: RecalculationRun) -> RunSummary:
    as_of = run.as_of
    program = _program_to_run(run.program, as_of)
    written_after = history_last_id(program.pk, as_of)
    with connection.cursor() as cursor:
        evaluated, changed = staged_apply(
            cursor,
            program,
            as_of,
            "(SELECT * FROM tiers_stagedplacement WHERE run_id = %s)",
            [run.pk],
        )
    statistics_refresh_after(evaluated=evaluated, changed=changed)
    tiers = list(program.tiers.all())
    summary, awaiting = _staged_summary(run, {tier.pk: tier for tier in tiers})
    if program.demotion_approval or awaiting:
        from .governance import pending_demotions_sync  # governance builds on this module

        pending_demotions_sync(program, as_of, awaiting, {tier.key: tier for tier in tiers})
    program.last_evaluated_on = as_of
    program.save(update_fields=["last_evaluated_on"])
    placement_changes_announce(program, as_of, after=written_after)
    return summary


def _staged_summary(run: RecalculationRun, tier_by_id: dict[int, Tier]):
    """The run's counts, and its demotions left to the managers, read back from its staged
    rows."""
    summary = RunSummary(as_of=run.as_of, changes=None)
    with connection.cursor() as cursor:
        cursor.execute(
            "SELECT change_reason, COUNT(*) FROM tiers_stagedplacement "
            "WHERE tenant_id = %s AND run_id = %s GROUP BY change_reason",
            [run.tenant_id, run.pk],
        )
        for reason, partners in cursor:
            summary.evaluated += partners
            if reason:
                summary.count_change(reason, partners)
            else:
                summary.unchanged = partners
        cursor.execute(
            "SELECT partner_id, tier_id, awaiting_reason, awaiting_to_id "
            "FROM tiers_stagedplacement WHERE tenant_id = %s AND run_id = %s "
            "AND awaiting_reason IS NOT NULL",
            [run.tenant_id, run.pk],
        )
        awaiting = {
            partner_id: (
                Standing(_key(tier_by_id, tier_id)),
                Move(Standing(_key(tier_by_id, awaits_to)), awaits),
            )
            for partner_id, tier_id, awaits, awaits_to in cursor
        }
    summary.awaiting_approval = len(awaiting)
    return summary, awaiting


def _key(tier_by_id: dict[int, Tier], tier_id: int | None) -> str | None:
    tier = tier_by_id.get(tier_id or 0)
    return tier.key if tier else None


# --- undo ------------------------------------------------------------------------------------

RUN_REASONS = [
    ChangeReason.PLACED,
    ChangeReason.PROMOTION,
    ChangeReason.DEMOTION,
    ChangeReason.GRACE_EXPIRY,
    ChangeReason.AT_RISK,
]


def undoable_run(program: Program) -> RecalculationRun | None:
    """The run an admin may undo: the latest done one, of the program's last evaluated date,
    not undone yet. Undo goes back one evaluation, once."""
    run = (
        RecalculationRun.objects.filter(
            program=program, status=RunStatus.DONE, undone_at__isnull=True
        )
        .order_by("-as_of", "-pk")
        .first()
    )
    if run is None or run.as_of != program.last_evaluated_on:
        return None
    if Placement.objects.filter(program=program, evaluated_on=run.as_of, before_evaluation={}):
        return None  # that date's evaluation was undone already
    return run


def recalculation_undo(*, program: Program, by=None) -> RecalculationRun:
    """Put every partner back where it stood before the latest run, and say so in the history.

    The history stays append-only: the run's entries are marked undone (once) and each gets a
    reverse entry. Refused (RecalculationRefused) when there is nothing to undo.
    """
    with transaction.atomic():
        _lock_program_run(program)
        program = Program.objects.select_for_update().get(pk=program.pk)
        run = undoable_run(program)
        if run is None:
            raise RecalculationRefused(
                f"{program.name} has no run to undo: only the latest evaluation can be undone, "
                "once."
            )
        now = timezone.now()
        _history_undo(program, run.as_of, now)
        _placements_restore(program, run.as_of)
        program.last_evaluated_on = Placement.objects.filter(program=program).aggregate(
            last=Max("evaluated_on")
        )["last"]
        program.save(update_fields=["last_evaluated_on"])
        RecalculationRun.objects.filter(pk=run.pk).update(undone_at=now, undone_by=by)
        run.refresh_from_db()
    return run


def _history_undo(program: Program, as_of: datetime.date, now) -> None:
    entries = PlacementChange.objects.filter(
        program=program, on=as_of, reason__in=RUN_REASONS, undone_at__isnull=True
    )
    PlacementChange.objects.bulk_create(
        PlacementChange(
            tenant_id=entry.tenant_id,
            partner_id=entry.partner_id,
            program=program,
            from_tier_id=entry.to_tier_id,
            to_tier_id=entry.from_tier_id,
            on=as_of,
            reason=ChangeReason.UNDONE,
            version=entry.version,
        )
        for entry in entries
    )
    entries.update(undone_at=now)


def _placements_restore(program: Program, as_of: datetime.date) -> None:
    placements = Placement.objects.filter(program=program, evaluated_on=as_of).exclude(
        before_evaluation={}
    )
    if connection.vendor == "postgresql":
        before = "tiers_placement.before_evaluation"
        with connection.cursor() as cursor:
            cursor.execute(
                "UPDATE tiers_placement SET "  # noqa: S608 - constant SQL
                f"tier_id = ({before} ->> 'tier')::bigint, "
                f"at_risk_since = ({before} ->> 'at_risk_since')::date, "
                f"qualified_tier_id = ({before} ->> 'qualified_tier')::bigint, "
                f"evaluated_on = ({before} ->> 'evaluated_on')::date, "
                f"version = ({before} ->> 'version')::integer, "
                f"explanation = COALESCE({before} -> 'explanation', '{{}}'::jsonb), "
                "before_evaluation = '{}'::jsonb "
                "WHERE program_id = %s AND evaluated_on = %s AND before_evaluation <> '{}'::jsonb",
                [program.pk, as_of],
            )
        return
    restored = []
    for placement in placements:
        before = placement.before_evaluation
        placement.tier_id = before.get("tier")
        placement.at_risk_since = date_or_none(before.get("at_risk_since"))
        placement.qualified_tier_id = before.get("qualified_tier")
        placement.evaluated_on = date_or_none(before.get("evaluated_on"))
        placement.version = before.get("version")
        placement.explanation = before.get("explanation") or {}
        placement.before_evaluation = {}
        restored.append(placement)
    Placement.objects.bulk_update(restored, [*PLACEMENT_FIELDS, "version"], batch_size=1_000)


# --- overrides -------------------------------------------------------------------------------


@transaction.atomic
def placement_override(
    *,
    partner: Partner,
    tier: Tier,
    until: datetime.date,
    reason: str,
    by,
    today: datetime.date,
    audited: bool = True,  # False: the caller audits the decision in its own words
) -> Placement:
    """Hold `partner` at `tier` until `until` (exclusive), whatever its criteria say.

    Takes effect at once; each evaluation before `until` keeps it; from `until` on, the rules
    apply again from the overridden tier.
    """
    program = tier.program
    placement = (
        Placement.objects.select_for_update().filter(partner=partner, program=program).first()
    )
    if placement is None:
        raise ValueError(f"{partner.name} is not in {program.name}, the program of {tier.name}.")
    if until <= today:
        raise ValueError("The override must end after today.")
    if not reason.strip():
        raise ValueError("Say why the tier is overridden.")
    previous = placement.tier
    if not placement.override_tier_id:  # a changed override keeps the standing before the first
        placement.before_override = {
            "tier": placement.tier_id,
            "at_risk_since": placement.at_risk_since.isoformat()
            if placement.at_risk_since
            else None,
        }
    placement.override_tier, placement.override_until = tier, until
    placement.override_reason, placement.override_by = reason.strip(), by
    placement.tier, placement.at_risk_since = tier, None
    placement.save()
    if previous != tier:
        PlacementChange.objects.get_or_create(
            tenant_id=partner.tenant_id,
            partner=partner,
            program=program,
            from_tier=previous,
            to_tier=tier,
            on=today,
            reason=ChangeReason.OVERRIDE,
            defaults={"version": program.version, "by": by},
        )
    if not audited:
        return placement
    audit_record(
        tenant_id=partner.tenant_id,
        actor=by,
        action="tier.override",
        subject=f"{partner.name}: held at {tier.name} until {until:%Y-%m-%d}",
        partner=partner.ref,
        until=until.isoformat(),
        reason=reason.strip(),
    )
    return placement


class NoOverride(ValueError):
    pass


@transaction.atomic
def placement_override_clear(
    *, partner: Partner, program: Program, today: datetime.date
) -> Placement:
    """Take back an override set by mistake: the partner returns to the tier and at-risk date
    it had before the override, and the history says so. (An override that simply runs out is
    not cleared: from its end date the rules apply from the overridden tier.)"""
    placement = (
        Placement.objects.select_for_update()
        .filter(
            partner=partner, program=program, override_tier__isnull=False, override_until__gt=today
        )
        .first()
    )
    if placement is None:
        raise NoOverride(f"{partner.name} has no override to end in {program.name}.")
    held = placement.tier
    before = placement.before_override or {}
    placement.tier_id = before.get("tier")
    placement.at_risk_since = date_or_none(before.get("at_risk_since"))
    placement.override_tier = placement.override_until = placement.override_by = None
    placement.override_reason = ""
    placement.before_override = {}
    placement.save()
    if placement.tier_id != getattr(held, "pk", None):
        PlacementChange.objects.get_or_create(
            tenant_id=partner.tenant_id,
            partner=partner,
            program=program,
            from_tier=held,
            to_tier_id=placement.tier_id,
            on=today,
            reason=ChangeReason.OVERRIDE_CLEARED,
            undone_at=None,
            defaults={"version": program.version},
        )
    return placement


def notices_mark_read(*, user, notice_ids: list[int] | None = None) -> int:
    """Mark `user`'s notices read (the ones named, or all); how many were unread."""
    from .models import Notice

    unread = Notice.objects.filter(user=user, read_at__isnull=True)
    if notice_ids is not None:
        unread = unread.filter(pk__in=notice_ids)
    return unread.update(read_at=timezone.now())
