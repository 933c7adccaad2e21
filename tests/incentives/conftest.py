"""Acme and Globex run the same program, with rebates and MDF, in force since June 2026."""

import datetime
import json

import pytest
from django_scopes import scope

from partners.models import Partner
from tiers.models import PlacementChange, Program, Tier
from tiers.programs import program_load

from ..tiers.conftest import PROGRAM

D = datetime.date

REBATE_PROGRAM = json.loads(json.dumps(PROGRAM))
REBATE_PROGRAM["tiers"][1]["rebates"] = [{"metric": "revenue", "rate": "2.5"}]
REBATE_PROGRAM["tiers"][2]["rebates"] = [{"metric": "revenue", "rate": "3.5", "cap": "20000"}]
REBATE_PROGRAM["tiers"][2]["mdf"] = {"quarterly": "10000"}


@pytest.fixture
def rebates(acme, globex, time_machine):
    """Acme's program with Silver 2.5 % and Gold 3.5 % capped at 20,000 of revenue, in force
    since June; Globex has the same program and refs, and stays untouched."""
    time_machine.move_to(datetime.datetime(2026, 6, 1, 9, tzinfo=datetime.UTC))
    for world in (acme, globex):
        with scope(tenant=world.tenant):
            program, _, _ = program_load(tenant=world.tenant, data=REBATE_PROGRAM)
            Partner.objects.update(program=program)
    time_machine.move_to(datetime.datetime(2026, 11, 24, 9, tzinfo=datetime.UTC))
    return acme


def history(world, ref, on, to_key, reason="promotion"):
    with scope(tenant=world.tenant):
        program = Program.objects.get()
        PlacementChange.objects.create(
            tenant=world.tenant,
            partner=Partner.objects.get(ref=ref),
            program=program,
            to_tier=Tier.objects.get(key=to_key) if to_key else None,
            on=on,
            reason=reason,
            version=program.version,
        )
