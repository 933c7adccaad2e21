"""A run's moves are announced from the history it wrote: a webhook event per move, in the run's
transaction, and a notice to the partner's users and its manager after the commit. Read back
a batch at a time, so a first placement of any size never holds every move at once."""

import pytest
from django.core import mail
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django_scopes import scope

from partnerhub.webhooks import services as webhooks
from partnerhub.webhooks.models import WebhookEndpoint, WebhookEvent
from tiers import services, tasks
from tiers.models import Notice
from tiers.services import placements_recalculate, recalculation_queue

from .conftest import TODAY, history, program_with_spread

# Committed rows: chunks are read on connections of their own, notices sent after the commit.
pytestmark = pytest.mark.django_db(transaction=True)


def listen(world):
    with scope(tenant=world.tenant):
        WebhookEndpoint.objects.create(
            tenant=world.tenant,
            url="https://crm.example/hooks",
            events=["placement.changed", "partner.at_risk"],
            secret="s",
        )


def events(world) -> list[tuple]:
    with scope(tenant=world.tenant):
        return sorted(
            (
                e.type,
                e.data["partner_ref"],
                e.data["from_tier"],
                e.data["to_tier"],
                e.data["reason"],
            )
            for e in WebhookEvent.objects.all()
        )


def moves(world) -> list[tuple]:
    """The history, as the events should tell it."""
    return sorted(
        ("placement.changed", ref, before, after, reason)
        for ref, _, before, after, reason in history(world)
    )


def told(world) -> list[str]:
    with scope(tenant=world.tenant):
        return sorted(Notice.objects.values_list("user__email", "text"))


def run(world, program):
    with scope(tenant=world.tenant):
        return placements_recalculate(program=program, as_of=TODAY)


def test_a_run_announces_each_move_it_wrote_once(acme, globex):
    first, second = program_with_spread(acme), program_with_spread(globex)
    listen(acme)
    listen(globex)
    run(acme, first)
    run(globex, second)

    assert len(moves(acme)) == 8
    assert events(acme) == moves(acme) == events(globex), "each tenant hears of its own moves"
    assert ("manager@acme.test", "Acme P-001 was placed in Registered.") in told(acme)
    assert ("partner@acme.test", "Acme P-001 was placed in Registered.") in told(acme)
    assert len(mail.outbox) == len(told(acme)) + len(told(globex))

    before = events(acme), told(acme), len(mail.outbox)
    run(acme, first)  # the same date again: the same moves, already told
    assert (events(acme), told(acme), len(mail.outbox)) == before


def test_a_split_run_announces_what_one_run_would(acme, globex, settings):
    settings.RUN_SPLIT_ABOVE, settings.RUN_SPLIT_CHUNK = 3, 3
    split, whole = program_with_spread(acme), program_with_spread(globex)
    listen(acme)
    listen(globex)
    with scope(tenant=acme.tenant):
        recalculation_queue(program=split, as_of=TODAY)
    run(globex, whole)

    assert events(acme) == events(globex) == moves(acme)
    assert told(acme) == [
        (email.replace("globex", "acme"), text.replace("Globex", "Acme"))
        for email, text in told(globex)
    ]


def test_moves_are_read_back_and_written_a_batch_at_a_time(acme, monkeypatch):
    program = program_with_spread(acme)
    listen(acme)
    monkeypatch.setattr(webhooks, "EVENTS_PER_WRITE", 3)
    monkeypatch.setattr(services, "MOVES_PER_READ", 3)
    monkeypatch.setattr(tasks, "NOTICES_BATCH", 3)
    with CaptureQueriesContext(connection) as queries:
        run(acme, program)

    def statements(*parts: str) -> int:
        return sum(all(part in q["sql"] for part in parts) for q in queries.captured_queries)

    assert len(events(acme)) == 8
    assert statements('INSERT INTO "webhooks_webhookevent"') == 3, "8 events, 3 at a time"
    reads = statements('FROM "tiers_placementchange"', "LIMIT 3")
    # 8 moves read for their events (and once for the at-risk ones: none), then for notices
    assert reads == 3 + 1 + 3
    assert len(told(acme)) == 3 + 1, "P-001..P-003 have the manager, P-001 its user too"
