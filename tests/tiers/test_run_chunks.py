"""A run in chunks: a large program is evaluated a range of partners at a time (its memory
bounded), the next range's facts read while this one is evaluated, and applied as one."""

import datetime

import pytest
from django.db import connection
from django.utils import timezone
from django_scopes import scope

from partnerhub.jobs import WORKER_STOPPED, jobs_sweep
from tiers import evaluation
from tiers.models import Placement, PlacementChange, Program, RunStatus, StagedPlacement
from tiers.services import (
    placements_recalculate,
    recalculation_apply,
    recalculation_chunk_stage,
    recalculation_create,
    recalculation_queue,
    recalculation_split,
)
from tiers.tasks import evaluate_run_chunk

from .conftest import (
    TODAY,
    history,
    load,
    placed,
    program_with_spread,
    set_values,
    tiers_now,
)

# Committed rows: the next chunks are read on connections of their own.
pytestmark = pytest.mark.django_db(transaction=True)


def test_a_program_run_in_chunks_places_every_partner_as_one_chunk_would(acme, globex, monkeypatch):
    in_chunks, whole = program_with_spread(acme), program_with_spread(globex)
    monkeypatch.setattr(evaluation, "RUN_CHUNK", 3)
    assert [count for _, _, count in evaluation.partner_chunks(in_chunks)] == [3, 3, 2]
    with scope(tenant=acme.tenant):
        chunked = placements_recalculate(program=in_chunks, as_of=TODAY)
    monkeypatch.setattr(evaluation, "RUN_CHUNK", 5_000)
    with scope(tenant=globex.tenant):
        one = placements_recalculate(program=whole, as_of=TODAY)

    assert placed(acme) == placed(globex)
    assert {tier for tier, _ in tiers_now(acme).values()} == {"registered", "silver", "gold"}
    assert chunked.as_dict() | {"as_of": None} == one.as_dict() | {"as_of": None}
    assert history(acme) == history(globex)
    assert sorted(ref for ref, *_ in history(acme)) == [f"P-00{n}" for n in range(1, 9)]


def test_the_connections_a_chunked_run_reads_on_are_closed_when_it_ends(acme, monkeypatch):
    """Chunks are read ahead on connections of their own (two at a time): none outlives the
    run, whether it ends well or fails."""
    program = program_with_spread(acme)
    monkeypatch.setattr(evaluation, "RUN_CHUNK", 2)
    monkeypatch.setattr(evaluation, "READERS", 2)

    def connections_open(settled_at: int | None = None) -> int:
        """Backends on the test database. A closed connection's backend exits a moment after
        the client hung up, so this waits for it (up to two seconds); a leaked one stays."""
        with connection.cursor() as cursor:
            for _ in range(200):
                cursor.execute(
                    "SELECT count(*) FROM pg_stat_activity WHERE datname = current_database()"
                )
                count = cursor.fetchone()[0]
                if settled_at is None or count <= settled_at:
                    break
                cursor.execute("SELECT pg_sleep(0.01)")
        return count

    before = connections_open()
    with scope(tenant=acme.tenant):
        placements_recalculate(program=program, as_of=TODAY)
    assert connections_open(settled_at=before) == before

    from tiers import services

    real, evaluated = services.chunk_evaluate, []

    def evaluate_until_the_second_chunk(*args):
        evaluated.append(args)
        if len(evaluated) == 2:
            raise RuntimeError("stopped in the second chunk")
        return real(*args)

    monkeypatch.setattr(services, "chunk_evaluate", evaluate_until_the_second_chunk)
    with scope(tenant=acme.tenant), pytest.raises(RuntimeError, match="second chunk"):
        placements_recalculate(program=program, as_of=TODAY)
    assert connections_open(settled_at=before) == before


def test_a_date_run_again_in_chunks_starts_from_before_that_date(acme, monkeypatch):
    """The standing before the date is read in SQL now (not from each placement's JSON in
    Python); a rerun after a correction still ends where one clean run would."""
    program = program_with_spread(acme)
    monkeypatch.setattr(evaluation, "RUN_CHUNK", 2)
    with scope(tenant=acme.tenant):
        placements_recalculate(program=program, as_of=TODAY)
    first = placed(acme)
    set_values(acme, "P-003", "revenue", {"2026-03": "0"})
    with scope(tenant=acme.tenant):
        program = Program.objects.get(pk=program.pk)
        again = placements_recalculate(program=program, as_of=TODAY)
        before = Placement.objects.get(partner__ref="P-003").before_evaluation
    assert (again.placed, placed(acme)["P-003"][0]) == (8, "registered")
    assert before["tier"] is None, "the standing before the date's first run: not placed"
    assert placed(acme)["P-004"] == first["P-004"]


@pytest.mark.parametrize("fails_in", ["evaluating the third chunk", "writing the second chunk"])
def test_a_run_that_fails_after_writing_some_chunks_leaves_every_placement_as_it_was(
    acme, monkeypatch, fails_in
):
    """Chunks are written as the run goes, in its one transaction: a failure after two of them
    were written (or while the writer sends one) undoes them all."""
    program = program_with_spread(acme)
    monkeypatch.setattr(evaluation, "RUN_CHUNK", 3)
    with scope(tenant=acme.tenant):
        placements_recalculate(program=program, as_of=TODAY - datetime.timedelta(days=1))
    before = placed(acme)
    set_values(acme, "P-001", "revenue", {"2026-04": "300000"})  # Silver, in the first chunk
    set_values(acme, "P-008", "revenue", {"2026-03": "0"})  # falls below Silver, in the third
    calls = []

    def failing(real, failing_call):
        def call(*args, **kwargs):
            calls.append(real.__name__)
            result = real(*args, **kwargs)
            if len(calls) == failing_call:
                raise RuntimeError(f"stopped {fails_in}")
            return result

        return call

    if fails_in == "evaluating the third chunk":
        from tiers import services

        monkeypatch.setattr(services, "chunk_evaluate", failing(evaluation.chunk_evaluate, 3))
    else:
        monkeypatch.setattr(evaluation, "staged_apply", failing(evaluation.staged_apply, 2))

    with scope(tenant=acme.tenant), pytest.raises(RuntimeError, match=fails_in):
        placements_recalculate(program=Program.objects.get(pk=program.pk), as_of=TODAY)

    assert len(calls) == 3 if fails_in.startswith("evaluating") else 2
    assert placed(acme) == before
    with scope(tenant=acme.tenant):
        assert not PlacementChange.objects.filter(on=TODAY).exists()
        assert Program.objects.get(pk=program.pk).last_evaluated_on == TODAY - datetime.timedelta(
            days=1
        )
        again = placements_recalculate(program=program, as_of=TODAY)
    assert (again.promoted, again.demoted) == (1, 1)
    assert [(ref, reason) for ref, on, _, _, reason in history(acme) if on == TODAY] == [
        ("P-001", "promotion"),
        ("P-008", "demotion"),
    ]


# --- a run split over several workers --------------------------------------------------------


@pytest.fixture
def split_in_threes(settings):
    settings.RUN_SPLIT_ABOVE, settings.RUN_SPLIT_CHUNK = 3, 3


def queue_run(world, program):
    with scope(tenant=world.tenant):
        return recalculation_queue(program=program, as_of=TODAY)


def test_a_program_split_over_workers_is_placed_as_one_run_would_place_it(
    acme, globex, split_in_threes
):
    split, whole = program_with_spread(acme), program_with_spread(globex)
    run = queue_run(acme, split)
    with scope(tenant=globex.tenant):
        one = placements_recalculate(program=whole, as_of=TODAY)

    with scope(tenant=acme.tenant):
        run.refresh_from_db()
        assert (run.status, len(run.chunks)) == (RunStatus.DONE, 3)
        assert run.summary == one.as_dict()
        assert StagedPlacement.objects.count() == 0, "the staged rows go once applied"
        assert PlacementChange.objects.count() == 8
        assert Program.objects.get(pk=split.pk).last_evaluated_on == TODAY
        again = recalculation_apply(run=run, attempt=run.attempts)  # a second delivery
        assert (again.status, again.summary) == (RunStatus.DONE, one.as_dict())
        assert PlacementChange.objects.count() == 8, "applied once"
    assert placed(acme) == placed(globex)


def test_a_crash_before_the_apply_leaves_placements_as_they_were_and_a_retry_finishes(
    acme, globex, split_in_threes
):
    """Two of three chunks staged, then the workers die: nobody sees a half-run program. The
    sweeper ends the run with its reason, a late chunk of it is ignored, and the next run
    places everyone."""
    split, whole = program_with_spread(acme), program_with_spread(globex)
    with scope(tenant=acme.tenant):
        crashed = recalculation_create(program=split, as_of=TODAY)
        attempt = recalculation_split(run=crashed, size=3)
        for chunk in (0, 1):
            assert not recalculation_chunk_stage(run=crashed, chunk=chunk)
        assert recalculation_chunk_stage(run=crashed, chunk=0) is False, "again: same rows"
        assert StagedPlacement.objects.filter(run=crashed).count() == 6
    assert set(tiers_now(acme).values()) == set(), "nothing placed yet"

    jobs_sweep(now=timezone.now() + datetime.timedelta(hours=1))
    crashed.refresh_from_db()
    assert (crashed.status, crashed.message) == (RunStatus.FAILED, WORKER_STOPPED)
    late = evaluate_run_chunk.delay(
        tenant_id=acme.tenant.pk, run_id=crashed.pk, chunk=2, attempt=attempt
    )
    assert late.get() == "stale"
    assert tiers_now(acme) == {}

    retry = queue_run(acme, split)
    with scope(tenant=globex.tenant):
        placements_recalculate(program=whole, as_of=TODAY)
    retry.refresh_from_db()
    assert retry.status == RunStatus.DONE
    assert placed(acme) == placed(globex)


def test_a_chunk_that_fails_fails_its_run_and_names_the_chunk(acme, monkeypatch):
    from tiers import services

    program = program_with_spread(acme)
    with scope(tenant=acme.tenant):
        run = recalculation_create(program=program, as_of=TODAY)
        attempt = recalculation_split(run=run, size=3)

    def evaluate(world, chunk):
        return evaluate_run_chunk.delay(
            tenant_id=world.tenant.pk, run_id=run.pk, chunk=chunk, attempt=attempt
        )

    assert evaluate(acme, 0).get() == "staged"

    def broken(*args, **kwargs):
        raise RuntimeError("a value the rules cannot read")

    monkeypatch.setattr(services, "chunk_evaluate", broken)
    with pytest.raises(RuntimeError):
        evaluate(acme, 1)
    run.refresh_from_db()
    assert (run.status, run.message) == (
        RunStatus.FAILED,
        "chunk 2 of 3: RuntimeError: a value the rules cannot read",
    )
    assert run.finished_at is not None and tiers_now(acme) == {}
    monkeypatch.undo()
    assert evaluate(acme, 2).get() == "stale", "the run ended: its other chunks stop"


def test_a_run_that_moves_many_partners_analyzes_what_pages_filter_on(acme):
    """Autovacuum may be off or late: with statistics from before a first placement, every
    placement still looked tierless, and the partner list filtered by a tier chose a plan
    for an empty tier."""
    from django.db import connection

    from tests.factories import PartnerFactory

    program = load(acme)
    with scope(tenant=acme.tenant):
        for n in range(60):
            PartnerFactory(tenant=acme.tenant, ref=f"S-{n:03d}", program=program)

    def share_without_tier() -> float:
        with connection.cursor() as cursor:
            cursor.execute(
                "SELECT null_frac FROM pg_stats "
                "WHERE tablename = 'tiers_placement' AND attname = 'tier_id'"
            )
            return cursor.fetchone()[0]

    with connection.cursor() as cursor:
        cursor.execute("ANALYZE tiers_placement")
    assert share_without_tier() == 1.0
    with scope(tenant=acme.tenant):
        placements_recalculate(program=program, as_of=TODAY)
    assert share_without_tier() == 0.0
