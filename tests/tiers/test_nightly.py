"""The nightly recalculation on a real worker, real Redis and real PostgreSQL."""

import datetime

import pytest
from django.db import connection
from django_scopes import scope

from partnerhub.tenancy.models import Tenant
from partners.models import Partner
from tests.factories import move_to
from tiers.models import Program, RecalculationRun
from tiers.services import recalculation_queue
from tiers.tasks import recalculate_due_tenants

from ..conftest import wait_for
from .conftest import history, load, set_values, tiers_now

pytestmark = [pytest.mark.worker, pytest.mark.django_db(transaction=True)]


@pytest.fixture
def program(acme, globex):
    acme.program = load(acme)
    set_values(acme, "P-002", "revenue", {"2026-01": "100000"})
    Tenant.objects.update(nightly_run_at=datetime.time(0, 0))  # due whenever the test runs
    return acme


def queue_run(world, program_id, as_of):
    with scope(tenant=world.tenant):
        recalculation_queue(
            program=Program.objects.get(pk=program_id), as_of=datetime.date.fromisoformat(as_of)
        )


def runs(world):
    with scope(tenant=world.tenant):
        return list(RecalculationRun.objects.order_by("pk").values_list("status", "as_of"))


def test_the_nightly_tick_runs_each_tenant_on_its_own_date(program, globex, redis_worker):
    load(globex)
    recalculate_due_tenants.delay()
    assert wait_for(
        lambda: runs(program) and runs(globex) and runs(program)[-1][0] not in ("queued", "running")
    )
    assert wait_for(lambda: runs(globex)[-1][0] not in ("queued", "running"))
    assert runs(program) == [("done", program.tenant.local_today())]
    assert runs(globex) == [("done", globex.tenant.local_today())]
    assert tiers_now(program)["P-002"] == ("silver", None)
    recalculate_due_tenants.delay()  # a second tick the same night finds nothing to do
    assert not wait_for(lambda: len(runs(program)) > 1, seconds=2)


@pytest.fixture
def crash_while_writing_history():
    """PostgreSQL itself fails the run after the placements are written, before the history."""
    with connection.cursor() as cursor:
        cursor.execute(
            "CREATE FUNCTION crash_on_placement() RETURNS trigger AS $$ BEGIN "
            "RAISE EXCEPTION 'simulated crash'; END $$ LANGUAGE plpgsql"
        )
        cursor.execute(
            "CREATE TRIGGER crash AFTER INSERT ON tiers_placementchange "
            "FOR EACH ROW EXECUTE FUNCTION crash_on_placement()"
        )

    def end_the_crashes():
        with connection.cursor() as cursor:
            cursor.execute("DROP TRIGGER IF EXISTS crash ON tiers_placementchange")
            cursor.execute("DROP FUNCTION IF EXISTS crash_on_placement()")

    yield end_the_crashes
    end_the_crashes()


def test_a_crash_in_the_middle_leaves_nothing_and_a_retry_ends_as_one_clean_run(
    program, redis_worker, crash_while_writing_history
):
    as_of = "2026-11-22"
    with scope(tenant=program.tenant):
        program_id = Program.objects.get(key="resell").pk
    queue_run(program, program_id, as_of)
    assert wait_for(lambda: runs(program) and runs(program)[-1][0] == "failed")
    assert tiers_now(program) == {} and history(program) == [], "the whole run rolled back"

    crash_while_writing_history()
    queue_run(program, program_id, as_of)
    assert wait_for(lambda: runs(program)[-1][0] == "done")
    assert tiers_now(program) == {
        "P-001": ("registered", None),
        "P-002": ("silver", None),
        "P-003": ("registered", None),
    }
    assert len(history(program)) == 3


@pytest.mark.two_worker_threads
def test_two_runs_at_once_end_as_one_clean_run(program, redis_worker):
    with scope(tenant=program.tenant):
        program_id = Program.objects.get(key="resell").pk
    for _ in range(2):
        queue_run(program, program_id, "2026-11-22")
    assert wait_for(
        lambda: (
            len(runs(program)) == 2
            and all(s not in ("queued", "running") for s, _ in runs(program))
        )
    )
    statuses = sorted(status for status, _ in runs(program))
    assert statuses in (["done", "done"], ["done", "skipped"])
    assert tiers_now(program) == {
        "P-001": ("registered", None),
        "P-002": ("silver", None),
        "P-003": ("registered", None),
    }
    assert len(history(program)) == 3, "no duplicate history"


@pytest.fixture
def two_programs_one_failing(program):
    """Acme runs "resell" (P-001, P-002) and "distribute" (P-003), whose runs PostgreSQL fails."""
    distribute = load(program, key="distribute", name="Distributor Program")
    with scope(tenant=program.tenant):
        resell = Program.objects.get(key="resell")
        move_to(Partner.objects.exclude(ref="P-003"), resell)
    with connection.cursor() as cursor:
        cursor.execute(
            "CREATE FUNCTION fail_distribute() RETURNS trigger AS $$ BEGIN "
            "RAISE EXCEPTION 'distribute is broken'; END $$ LANGUAGE plpgsql"
        )
        cursor.execute(
            "CREATE TRIGGER fail_distribute BEFORE INSERT OR UPDATE ON tiers_placement "
            f"FOR EACH ROW WHEN (NEW.program_id = {distribute.pk}) "
            "EXECUTE FUNCTION fail_distribute()"
        )
    yield program
    with connection.cursor() as cursor:
        cursor.execute("DROP TRIGGER IF EXISTS fail_distribute ON tiers_placement")
        cursor.execute("DROP FUNCTION IF EXISTS fail_distribute()")


def test_one_failing_program_never_holds_back_another(two_programs_one_failing, redis_worker):
    world = two_programs_one_failing

    def by_program():
        with scope(tenant=world.tenant):
            runs = RecalculationRun.objects.order_by("pk")
            return dict(runs.values_list("program__key", "status"))

    recalculate_due_tenants.delay()
    assert wait_for(lambda: by_program() == {"distribute": "failed", "resell": "done"})
    with scope(tenant=world.tenant):
        failed = RecalculationRun.objects.get(program__key="distribute")
    assert "distribute is broken" in failed.message
    assert set(tiers_now(world)) == {"P-001", "P-002"}, "resell's partners are placed"

    recalculate_due_tenants.delay()  # the next tick tries the failing program again, alone
    assert wait_for(lambda: runs(world).count(("failed", world.tenant.local_today())) == 2)
    assert runs(world).count(("done", world.tenant.local_today())) == 1
