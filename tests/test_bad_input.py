"""Bad input in URLs and query strings gets a clear answer, never a server error."""

import pytest


@pytest.mark.parametrize(
    "path",
    [
        "/o/acme/partners/99999999999999999999/",
        "/o/acme/partners/99999999999999999999/edit/",
        "/o/acme/members/99999999999999999999/remove/",
        "/o/ACME%00/partners/",
        "/o/acme/partners/abc/",
        "/invitations/%00%ff/",
    ],
)
def test_malformed_ids_are_not_found(acme, path):
    assert acme.client_for(acme.admin).get(path).status_code == 404


@pytest.mark.parametrize(
    "query",
    [
        {"manager": "99999999999999999999"},
        {"manager": "-1"},
        {"after": "-3"},
        {"before": "x"},
        {"after": "WyJcdTAwMDAiLDEsMiwzXQ"},
        {"q": "\x00"},
        {"q": "x" * 5000},
        {"sort": "'; drop table partners_partner; --"},
    ],
)
def test_junk_query_values_are_reported_not_crashed_on(acme, query):
    response = acme.client_for(acme.manager).get("/o/acme/partners/", query)
    assert response.status_code == 200
