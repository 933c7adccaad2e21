"""The partner list pages by keyset, whatever the sort, and acts on many partners at once."""

import datetime

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django_scopes import scope

from partners.models import Partner
from partners.selectors import PARTNER_SORTS
from tests.factories import placement_set
from tiers.models import Program, Tier

from ..factories import MembershipFactory, PartnerFactory, UserFactory


@pytest.fixture
def sixty(acme):
    """60 more partners with repeated names, types, regions and join dates, and tiers on some:
    ties everywhere, so a page edge that ignores the tie-breaker would skip or repeat rows."""
    with scope(tenant=acme.tenant):
        program = Program.objects.create(tenant=acme.tenant, key="p", name="P", version=1)
        tiers = [
            Tier.objects.create(tenant=acme.tenant, program=program, key=k, name=k, rank=r)
            for r, k in enumerate(["silver", "gold"])
        ]
        for n in range(60):
            partner = PartnerFactory(
                tenant=acme.tenant,
                ref=f"R-{n:03d}",
                name=f"Partner {n % 7}",
                type=["msp", "reseller"][n % 2],
                region=["DACH", "Nordics", ""][n % 3],
                joined_on=datetime.date(2024, 1, 1) + datetime.timedelta(days=n % 4),
                program=program,
            )
            if n % 3:
                placement_set(
                    tenant=acme.tenant, partner=partner, program=program, tier=tiers[n % 2]
                )
    return acme


def refs_of(response) -> list[str]:
    return [partner.ref for partner in response.context["page"]]


def every_page(client, sort: str, *, start=None, backwards=False) -> list[list[str]]:
    """The refs of each page, following Next (or Previous) from `start` until there is none."""
    pages = []
    query = {"sort": sort, **(start or {})}
    while True:
        response = client.get("/o/acme/partners/", query)
        pages.append(refs_of(response))
        page = response.context["page"]
        cursor = page.previous_cursor if backwards else page.next_cursor
        if cursor is None:
            return pages[::-1] if backwards else pages
        query = {"sort": sort, ("before" if backwards else "after"): cursor}


@pytest.mark.parametrize("sort", sorted(PARTNER_SORTS))
def test_walking_the_pages_either_way_shows_each_partner_once_in_the_sorts_order(sixty, sort):
    client = sixty.client_for(sixty.manager)
    exported = client.get("/o/acme/partners/", {"sort": sort, "format": "csv"})
    in_order = [
        line.split(",")[0]
        for line in b"".join(exported.streaming_content).decode().splitlines()[1:]
    ]
    assert len(in_order) == 63
    forward = every_page(client, sort)
    assert [len(page) for page in forward] == [25, 25, 13]
    assert [ref for page in forward for ref in page] == in_order
    last_page = {"after": _cursor_before_last(client, sort)}
    backward = every_page(client, sort, start=last_page, backwards=True)
    assert backward == forward


def _cursor_before_last(client, sort):
    """The cursor that opens the last page."""
    response = client.get("/o/acme/partners/", {"sort": sort})
    cursor = None
    while response.context["page"].next_cursor:
        cursor = response.context["page"].next_cursor
        response = client.get("/o/acme/partners/", {"sort": sort, "after": cursor})
    return cursor


def test_a_deep_page_reads_from_its_edge_not_through_an_offset(sixty):
    client = sixty.client_for(sixty.manager)
    first = client.get("/o/acme/partners/", {"sort": "name"})
    after = first.context["page"].next_cursor
    with CaptureQueriesContext(connection) as queries:
        second = client.get("/o/acme/partners/", {"sort": "name", "after": after})
    listing = [q["sql"] for q in queries.captured_queries if "LIMIT 26" in q["sql"]]
    assert len(listing) == 1 and "OFFSET" not in listing[0]
    assert '"partners_partner"."name" > ' in listing[0]
    assert refs_of(second)[0] not in refs_of(first)


def test_a_manager_assigns_the_ticked_partners_to_another_manager(sixty, globex):
    with scope(tenant=sixty.tenant):
        other = MembershipFactory(
            tenant=sixty.tenant,
            role="manager",
            user=UserFactory(first_name="Mira", last_name="Stone"),
        )
        ticked = list(
            Partner.objects.filter(ref__in=["R-001", "R-002"]).values_list("pk", flat=True)
        )
    client = sixty.client_for(sixty.manager)
    response = client.post(
        "/o/acme/partners/bulk/",
        {
            "action": "assign",
            "scope": "selected",
            "partner": ticked,
            "account_manager": other.pk,
            "query": "sort=name",
        },
        follow=True,
    )
    assert "2 partners now managed by Mira Stone." in response.content.decode()
    assert response.redirect_chain[-1][0] == "/o/acme/partners/?sort=name"
    with scope(tenant=sixty.tenant):
        assert set(Partner.objects.filter(account_manager=other).values_list("ref", flat=True)) == {
            "R-001",
            "R-002",
        }
    with scope(tenant=globex.tenant):
        assert not Partner.objects.filter(account_manager=None).exists(), "globex untouched"


def test_all_partners_matching_the_filters_can_be_given_no_manager(sixty, globex):
    client = sixty.client_for(sixty.admin)
    response = client.post(
        "/o/acme/partners/bulk/",
        {"action": "assign", "scope": "matching", "account_manager": "none", "query": "q=P-00"},
        follow=True,
    )
    assert "3 partners now have no account manager." in response.content.decode()
    with scope(tenant=sixty.tenant):
        assert list(
            Partner.objects.filter(account_manager=None, ref__startswith="P-").values_list(
                "ref", flat=True
            )
        ) == ["P-001", "P-002", "P-003"]
    with scope(tenant=globex.tenant):
        assert Partner.objects.filter(account_manager=None).count() == 0, "same refs, own tenant"


@pytest.mark.parametrize(
    ("post", "message"),
    [
        ({"scope": "selected"}, "Tick at least one partner, or choose all that match the filters."),
        (
            {"scope": "selected", "partner": ["R-001"]},
            "Choose the manager to assign, or no manager.",
        ),
        (
            {"scope": "selected", "partner": ["globex"], "account_manager": "none"},
            "is not one of the available choices",
        ),
        ({"scope": "everything", "account_manager": "none"}, "Select a valid choice."),
    ],
)
def test_a_bulk_action_that_cannot_be_done_says_why_and_changes_nothing(
    sixty, globex, post, message
):
    with scope(tenant=sixty.tenant):
        mine = Partner.objects.get(ref="R-001").pk
    with scope(tenant=globex.tenant):
        theirs = Partner.objects.get(ref="P-001").pk
    partner = [{"R-001": mine, "globex": theirs}[p] for p in post.get("partner", [])]
    response = sixty.client_for(sixty.manager).post(
        "/o/acme/partners/bulk/", {"action": "assign", **post, "partner": partner}, follow=True
    )
    assert message in response.content.decode()
    with scope(tenant=sixty.tenant):
        assert not Partner.objects.filter(account_manager__isnull=False, ref="R-001").exists()
    with scope(tenant=globex.tenant):
        assert Partner.objects.get(pk=theirs).account_manager is not None


def test_the_ticked_partners_export_in_the_lists_order(sixty):
    with scope(tenant=sixty.tenant):
        ticked = list(
            Partner.objects.filter(ref__in=["R-010", "R-003", "P-002"]).values_list("pk", flat=True)
        )
    response = sixty.client_for(sixty.manager).post(
        "/o/acme/partners/bulk/",
        {"action": "export", "scope": "selected", "partner": ticked, "query": "sort=-ref"},
    )
    lines = b"".join(response.streaming_content).decode().splitlines()
    assert [line.split(",")[0] for line in lines[1:]] == ["R-010", "R-003", "P-002"]
