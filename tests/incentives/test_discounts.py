"""A tier's discount is a percentage the system can use: the program file and the benefits
editor refuse anything else, and every partner's discount goes to the ERP as CSV."""

import json
from io import StringIO

import pytest
from django.core.management import call_command
from django_scopes import scope

from tests.factories import placement_set
from tiers.models import Program, Tier
from tiers.program_file import ProgramFileError, discount_percent
from tiers.programs import program_load

from .conftest import REBATE_PROGRAM


@pytest.mark.parametrize(
    ("value", "percent"),
    [("10 %", "10"), ("12.5%", "12.5"), (" 7 ", "7"), ("100", "100"), ("0 %", None),
     ("101 %", None), ("up to 25 %", None), ("", None), (None, None), ("1e2", None)],
)  # fmt: skip
def test_a_discount_value_states_a_percentage(value, percent):
    found = discount_percent(value)
    assert (str(found) if found is not None else None) == percent


def test_a_program_file_with_a_discount_that_is_not_a_percentage_is_refused(acme):
    program = json.loads(json.dumps(REBATE_PROGRAM))
    program["tiers"][1]["benefits"][0]["value"] = "ten percent"
    with scope(tenant=acme.tenant), pytest.raises(ProgramFileError) as refused:
        program_load(tenant=acme.tenant, data=program)
    assert "tier silver: benefits[0].value: a discount is a percentage" in str(refused.value)
    assert "(got 'ten percent')" in str(refused.value)


def place(world, ref, tier_key):
    with scope(tenant=world.tenant):
        partner = world.partners[ref]
        placement_set(
            tenant=world.tenant,
            partner=partner,
            program=Program.objects.get(),
            tier=Tier.objects.get(key=tier_key) if tier_key else None,
        )


def test_every_partners_discount_by_its_tier_now_is_exported_for_the_erp(rebates, globex):
    place(rebates, "P-001", "silver")
    place(rebates, "P-002", "gold")  # Gold has funds, not a discount
    place(globex, "P-001", "gold")
    out = StringIO()
    call_command("export_discounts", "--tenant", "acme", stdout=out)
    expected = [
        "partner_ref,tier,discount_percent",
        "P-001,silver,10",
        "P-002,gold,0",
        "P-003,,0",
    ]
    assert out.getvalue().splitlines() == expected
    client = rebates.client_for(rebates.manager)
    response = client.get("/o/acme/discounts.csv")
    assert response.content.decode().splitlines() == expected
    assert rebates.client_for(rebates.partner_user).get("/o/acme/discounts.csv").status_code == 403
