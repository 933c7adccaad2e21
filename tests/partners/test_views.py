import pytest
from django_scopes import scope

from partners.models import Partner
from tests.factories import placement_set

from ..factories import PartnerFactory


@pytest.fixture
def many_partners(acme):
    with scope(tenant=acme.tenant):
        for n in range(60):
            PartnerFactory(
                tenant=acme.tenant,
                ref=f"R-{n:03d}",
                name=f"{'Blue' if n % 2 else 'Red'} Partner {n:03d}",
                type="msp" if n % 3 == 0 else "reseller",
                region="Nordics" if n % 5 == 0 else "DACH",
                status="suspended" if n % 7 == 0 else "active",
                account_manager=acme.manager if n % 4 == 0 else None,
            )
    return acme


def listed_refs(response) -> list[str]:
    return [partner.ref for partner in response.context["page"]]


def test_the_list_is_paginated_and_sorted_by_ref(many_partners):
    response = many_partners.client_for(many_partners.manager).get("/o/acme/partners/")
    assert response.context["page"].count == 63
    assert listed_refs(response)[:4] == ["P-001", "P-002", "P-003", "R-000"]
    assert len(listed_refs(response)) == 25


def test_search_filters_and_sort_combine(many_partners):
    client = many_partners.client_for(many_partners.manager)
    response = client.get(
        "/o/acme/partners/", {"q": "blue", "type": "msp", "region": "DACH", "sort": "-name"}
    )
    expected = [f"R-{n:03d}" for n in reversed(range(60)) if n % 2 and n % 3 == 0 and n % 5]
    assert listed_refs(response) == expected


def test_the_type_and_region_filters_offer_each_value_of_the_tenant_once(many_partners, globex):
    with scope(tenant=globex.tenant):
        PartnerFactory(tenant=globex.tenant, ref="P-009", type="distributor", region="Benelux")
    form = (
        many_partners.client_for(many_partners.manager)
        .get("/o/acme/partners/")
        .context["filter_form"]
    )
    assert [value for value, _ in form.fields["type"].choices] == ["", "msp", "reseller"]
    assert [value for value, _ in form.fields["region"].choices] == ["", "DACH", "EMEA", "Nordics"]


def test_filter_by_status_and_account_manager(many_partners):
    client = many_partners.client_for(many_partners.manager)
    response = client.get(
        "/o/acme/partners/", {"status": "suspended", "manager": many_partners.manager.pk}
    )
    assert listed_refs(response) == [f"R-{n:03d}" for n in range(60) if n % 7 == 0 and n % 4 == 0]


def test_htmx_requests_get_only_the_results(many_partners):
    client = many_partners.client_for(many_partners.manager)
    response = client.get("/o/acme/partners/", {"q": "red"}, headers={"HX-Request": "true"})
    body = response.content.decode()
    assert "<html" not in body and 'id="partner-count"' in body
    assert "30 partners" in body


def test_bad_filter_values_are_explained_and_ignored(many_partners):
    client = many_partners.client_for(many_partners.manager)
    response = client.get(
        "/o/acme/partners/", {"status": "on-fire", "manager": "abc", "after": "999", "sort": "x"}
    )
    assert response.status_code == 200
    body = response.content.decode()
    assert "status: Select a valid choice. on-fire is not one of the available choices." in body
    assert "The page link is not one this list made; here is the first page." in body
    assert listed_refs(response)[0] == "P-001"


def test_the_list_runs_a_fixed_number_of_queries(many_partners, django_assert_max_num_queries):
    client = many_partners.client_for(many_partners.manager)
    client.get("/o/acme/partners/")
    # 10, the bulk bar's managers, the bell, and each partner's programs (one query for all)
    with django_assert_max_num_queries(13):
        client.get("/o/acme/partners/")


def test_a_manager_creates_a_partner(acme):
    client = acme.client_for(acme.manager)
    response = client.post(
        "/o/acme/partners/new/",
        {
            "ref": " P-900 ",
            "name": "Nine Hundred",
            "type": "MSP",
            "region": "APAC",
            "status": "active",
            "account_manager": acme.manager.pk,
            "joined_on": "",
        },
    )
    with scope(tenant=acme.tenant):
        partner = Partner.objects.get(ref="P-900")
    assert response["Location"] == f"/o/acme/partners/{partner.pk}/"
    assert (partner.type, partner.joined_on) == ("msp", acme.tenant.local_today())


@pytest.mark.parametrize(
    ("changes", "field", "message"),
    [
        ({"ref": "P-002"}, "ref", "Another partner already has the reference “P-002”."),
        ({"type": "Value Added!"}, "type", "Use a short key"),
        ({"name": ""}, "name", "This field is required."),
        ({"joined_on": "31/02/2024"}, "joined_on", "Enter a valid date."),
        ({"status": "retired"}, "status", "Select a valid choice."),
    ],
)
def test_the_edit_form_names_the_wrong_field(acme, changes, field, message):
    partner = acme.partner
    data = {
        "ref": partner.ref,
        "name": partner.name,
        "type": partner.type,
        "region": "",
        "status": "active",
        "joined_on": "2024-01-15",
        **changes,
    }
    response = acme.client_for(acme.manager).post(f"/o/acme/partners/{partner.pk}/edit/", data)
    assert response.status_code == 200
    assert message in " ".join(response.context["form"].errors[field])
    with scope(tenant=acme.tenant):
        assert Partner.objects.get(pk=partner.pk).name == partner.name


def test_the_same_ref_may_exist_in_another_tenant(acme, globex):
    client = acme.client_for(acme.manager)
    response = client.post(
        "/o/acme/partners/new/",
        {"ref": "G-1", "name": "Only in Acme", "type": "msp", "status": "active"},
    )
    assert response.status_code == 302
    with scope(tenant=globex.tenant):
        PartnerFactory(tenant=globex.tenant, ref="G-1")


def test_a_partner_user_sees_their_partner_on_the_portal_home(acme):
    response = acme.client_for(acme.partner_user).get("/o/acme/")
    body = response.content.decode()
    assert acme.partner.name in body
    assert acme.other_partner.name not in body
    assert "manager@acme.test" in body, "the account manager's contact is shown"


def test_the_staff_home_counts_partners(acme):
    response = acme.client_for(acme.manager).get("/o/acme/")
    assert response.context["partner_total"] == 3


def _placed(world):
    """P-001 Gold at risk (grace 30 days from 20 Nov), P-002 Silver held until 2027, P-003 none."""
    import datetime

    from tiers.models import Program

    from ..tiers.conftest import load

    load(world)
    with scope(tenant=world.tenant):
        program = Program.objects.get()
        program.grace_days = 30
        program.save()
        tiers = {t.key: t for t in program.tiers.all()}
        placement_set(
            tenant=world.tenant,
            partner=world.partners["P-001"],
            program=program,
            tier=tiers["gold"],
            at_risk_since=datetime.date(2026, 11, 20),
        )
        placement_set(
            tenant=world.tenant,
            partner=world.partners["P-002"],
            program=program,
            tier=tiers["silver"],
            override_tier=tiers["silver"],
            override_until=datetime.date(2027, 1, 1),
            override_reason="Launch partner",
        )


def test_the_list_sorts_by_tier_and_marks_at_risk_and_overrides(acme):
    _placed(acme)
    client = acme.client_for(acme.manager)
    page = client.get("/o/acme/partners/", {"sort": "tier"}).content.decode()
    assert page.index("Acme P-001") < page.index("Acme P-002") < page.index("Acme P-003")
    assert "at risk, grace ends 20 Dec" in page and "held until 1 Jan 2027" in page
    reverse = client.get("/o/acme/partners/", {"sort": "-tier"}).content.decode()
    assert reverse.index("Acme P-002") < reverse.index("Acme P-001") < reverse.index("Acme P-003")


def test_the_export_is_exactly_the_filtered_list(acme, globex):
    _placed(acme)
    client = acme.client_for(acme.manager)
    response = client.get("/o/acme/partners/", {"at_risk": "on", "format": "csv"})
    assert response["Content-Type"] == "text/csv; charset=utf-8"
    lines = b"".join(response.streaming_content).decode().splitlines()
    assert lines == [
        "ref,name,type,region,status,programs,tier,at_risk_since,grace_ends_on,override_until,"
        "account_manager,joined_on",
        f"P-001,Acme P-001,{acme.partners['P-001'].type},{acme.partners['P-001'].region},"
        f"active,resell,gold,2026-11-20,2026-12-20,,manager@acme.test,"
        f"{acme.partners['P-001'].joined_on.isoformat()}",
    ]
    everyone = client.get("/o/acme/partners/", {"sort": "tier", "format": "csv"})
    refs = [
        line.split(",")[0]
        for line in b"".join(everyone.streaming_content).decode().splitlines()[1:]
    ]
    assert refs == ["P-001", "P-002", "P-003"]
    page = client.get(
        "/o/acme/partners/", {"at_risk": "on", "after": "WyJQLTAwMCJd"}
    ).content.decode()
    assert 'href="?at_risk=on&amp;format=csv"' in page


def test_the_excel_export_has_the_same_rows_as_the_csv(acme):
    import io

    import openpyxl

    _placed(acme)
    client = acme.client_for(acme.manager)
    csv_rows = (
        b"".join(
            client.get("/o/acme/partners/", {"sort": "tier", "format": "csv"}).streaming_content
        )
        .decode()
        .splitlines()
    )
    response = client.get("/o/acme/partners/", {"sort": "tier", "format": "xlsx"})
    assert response["Content-Disposition"].endswith('.xlsx"')
    sheet = openpyxl.load_workbook(io.BytesIO(response.content)).active
    rows = [",".join(cell or "" for cell in row) for row in sheet.iter_rows(values_only=True)]
    assert rows == csv_rows
