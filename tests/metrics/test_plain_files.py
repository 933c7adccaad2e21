"""A plain CSV file is COPYed into the staging table as it stands; any file the reader might read
differently goes to the reader instead, so the two ways in agree on every file."""

import io

import pytest
from django.db import transaction
from django_scopes import scope

from metrics.staging import NotPlain, plain_csv_staged, staging_create

from .conftest import stored_values
from .test_import import HEADER, problems, run_import


def copied_rows(world, data: bytes) -> int:
    """How many rows the plain way in takes from `data` (NotPlain if it does not), undone."""
    with scope(tenant=world.tenant), transaction.atomic():
        staging_create()
        try:
            open_month = world.tenant.local_today().strftime("%Y-%m")
            return plain_csv_staged(io.BytesIO(data), open_month=open_month)
        finally:
            transaction.set_rollback(True)


def quoted(text: str) -> str:
    """The same rows with every cell quoted: the same meaning, but only the reader reads it."""
    header, *lines = text.replace("\ufeff", "").splitlines()
    return "\n".join(
        [header, *(",".join(f'"{cell}"' for cell in line.split(",")) for line in lines)]
    )


@pytest.mark.parametrize(
    "text",
    [
        HEADER + "P-001,revenue,2026-01,1000.5\nP-002,deals,2026-02,3\n",
        HEADER.replace("\n", "\r\n") + "P-001,revenue,2026-01,-0.5\r\nP-002,csat,2026-10,.25\r\n",
        "\ufeff" + HEADER + "P-003,revenue,2026-03,+4\nP-001,deals,2026-03,7.",  # no last line end
        HEADER + "P-002,revenue,2025-12,00012.3400\nP-003,csat,1999-01,12345678901234.5678\n",
    ],
)
def test_a_plain_file_is_copied_and_lands_as_the_reader_would_land_it(
    acme_metrics, globex_metrics, text
):
    rows = len(text.strip().splitlines()) - 1
    assert copied_rows(acme_metrics, text.encode()) == rows

    plain = run_import(acme_metrics, text)
    read = run_import(globex_metrics, quoted(text))

    assert (plain.rows, plain.inserted) == (read.rows, read.inserted) == (rows, rows)
    assert stored_values(acme_metrics) == stored_values(globex_metrics)
    again = run_import(acme_metrics, text)
    assert (again.inserted, again.updated, again.unchanged) == (0, 0, rows)


@pytest.mark.parametrize(
    ("row", "why"),
    [
        ('"P-001",revenue,2026-01,1', "a quote"),
        ("P-001,revenue,2026-01,1\\", "a backslash"),
        (" P-001,revenue,2026-01,1", "a space the reader strips"),
        ("P-001 ,revenue,2026-01,1", "a space the reader strips"),
        ("P-001,revenue ,2026-01,1", "a space the reader strips"),
        ("P-001,revenue,2026-01, 1", "a space the reader strips"),
        ("P-001\t,revenue,2026-01,1", "a tab"),
        ("'=P-001,revenue,2026-01,1", "an escaped formula the reader unescapes"),
        ("P-0\u00e91,revenue,2026-01,1", "a letter outside ASCII"),
        ("P-001,revenue,2026-01,1\rP-002,deals,2026-01,2", "a carriage return inside a line"),
        ("P-001,revenue,2026-01,1\n\nP-002,deals,2026-01,2", "a blank line the reader skips"),
        ("P-001,revenue,2026-01,1\n", "a blank line at the end"),
        ("P-001,revenue,2026-01,1,", "a fifth cell"),
        ("P-001,revenue,2026-01", "a missing cell"),
        (",revenue,2026-01,1", "an empty key"),
        ("P-001,revenue,2026-11,1", "a month that has not ended"),
        ("P-001,revenue,2026-1,1", "a month the reader refuses"),
        ("P-001,revenue,2026-01,1e5", "a value the reader refuses"),
        ("P-001,revenue,2026-01,1.23456", "a value the reader refuses"),
        ("P-001," + "r" * 201 + ",2026-01,1", "a key longer than 200 characters"),
    ],
)
def test_a_file_the_reader_could_read_differently_is_not_copied(acme_metrics, row, why):
    with pytest.raises(NotPlain):
        copied_rows(acme_metrics, (HEADER + row + "\n").encode())


@pytest.mark.parametrize(
    "header",
    ["value,period,metric,partner_ref\n", "Partner_Ref,Metric,Period,Value\n", HEADER + "\n"],
)
def test_only_the_header_written_as_documented_is_plain(acme_metrics, header):
    with pytest.raises(NotPlain):
        copied_rows(acme_metrics, (header + "P-001,revenue,2026-01,1\n").encode())


def test_a_plain_file_with_a_problem_is_read_again_to_name_it_by_line(acme_metrics):
    text = (
        HEADER
        + "P-001,revenue,2026-01,100\n"
        + "P-009,revenue,2026-01,100\n"
        + "P-002,deals,2026-02,3\n"
        + "P-001,revenue,2026-01,200\n"
    )
    assert problems(acme_metrics, text) == [
        "line 3: unknown partner_ref “P-009”",
        "line 5: P-001 / revenue / 2026-01 already appears on line 2",
    ]
    assert stored_values(acme_metrics) == {}


def test_a_month_in_digits_other_than_ascii_is_named_not_a_crash(acme_metrics):
    # Python's \d takes these digits, PostgreSQL's date does not: this used to fail the import.
    assert problems(acme_metrics, HEADER + "P-001,revenue,2\uff10\uff12\uff16-01,1\n") == [
        "line 2: period “2０２６-01” is not a month written YYYY-MM (for example 2026-03)"
    ]
