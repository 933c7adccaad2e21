"""A tier badge's text is dark or white, whichever reads better on the tier's colour (WCAG);
a benefit's badge gives what it is worth in the tenant's currency."""

from decimal import Decimal

import pytest
from django_scopes import scope

from tiers.models import Program
from tiers.templatetags.tier_badges import DARK, LIGHT, ink_on


@pytest.mark.parametrize(
    ("colour", "ink"),
    [("#ffffff", DARK), ("#111827", LIGHT), ("#9ca3af", DARK), ("#2f5bea", LIGHT),
     ("#b8860b", DARK), ("grey", DARK), ("", DARK)],
)  # fmt: skip
def test_the_badge_text_reads_on_its_colour(colour, ink):
    assert ink_on(colour) == ink


def test_a_funds_benefit_shows_the_tiers_quarterly_amount_in_the_tenants_currency(program):
    with scope(tenant=program.tenant):
        gold = Program.objects.get().tiers.get(key="gold")
        gold.mdf_quarterly = Decimal("10000")
        gold.save()
    page = program.client_for(program.admin).get(f"/o/acme/tiers/programs/{gold.program_id}/")
    body = page.content.decode()
    assert '<span class="badge">EUR 10,000 a quarter</span>' in body, "not the typed “$10,000”"
    assert '<span class="badge">10 %</span>' in body, "other benefits as written"
