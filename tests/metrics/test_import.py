"""Metric imports: upsert by (partner, metric, month), all or nothing, every problem by line."""

import io
import zipfile

import openpyxl
import pytest
from django_scopes import scope

from metrics.services import metric_values_import
from partnerhub.csvfiles import FileRejected

from .conftest import stored_values

HEADER = "partner_ref,metric,period,value\n"


def run_import(world, text: str | bytes, *, file_name="metrics.csv"):
    data = text.encode() if isinstance(text, str) else text
    with scope(tenant=world.tenant):
        return metric_values_import(tenant=world.tenant, source=data, file_name=file_name)


def problems(world, text, **kwargs) -> list[str]:
    with pytest.raises(FileRejected) as rejected:
        run_import(world, text, **kwargs)
    return rejected.value.lines


def test_values_are_inserted_then_replaced_and_other_rows_are_untouched(
    acme_metrics, globex_metrics
):
    acme = acme_metrics
    first = run_import(
        acme,
        HEADER
        + "P-001,revenue,2026-01,1000.50\n"
        + "P-001,revenue,2026-02,2000\n"
        + "P-002,deals,2026-01,3\n",
    )
    assert (first.rows, first.inserted, first.updated, first.unchanged) == (3, 3, 0, 0)
    run_import(globex_metrics, HEADER + "P-001,revenue,2026-01,7\n")

    second = run_import(
        acme,
        HEADER
        + "P-001,revenue,2026-02,2500.25\n"  # correction
        + "P-002,deals,2026-01,3\n"  # same value again
        + "P-003,csat,2026-01,4.25\n",  # new
    )
    assert (second.rows, second.inserted, second.updated, second.unchanged) == (3, 1, 1, 1)
    assert stored_values(acme) == {
        ("P-001", "revenue", "2026-01"): "1000.5000",
        ("P-001", "revenue", "2026-02"): "2500.2500",
        ("P-002", "deals", "2026-01"): "3.0000",
        ("P-003", "csat", "2026-01"): "4.2500",
    }
    assert stored_values(globex_metrics) == {("P-001", "revenue", "2026-01"): "7.0000"}


def test_spreadsheet_csv_imports_as_saved(acme_metrics):
    text = (
        "\ufeffPartner_Ref,Metric,Period,Value\r\n"
        '"P-001","revenue","2026-03","-125.5"\r\n'
        "P-002 , deals , 2026-03 , +4\r\n"
    )
    result = run_import(acme_metrics, text)
    assert result.inserted == 2
    assert stored_values(acme_metrics) == {
        ("P-001", "revenue", "2026-03"): "-125.5000",
        ("P-002", "deals", "2026-03"): "4.0000",
    }


def test_columns_may_come_in_any_order(acme_metrics):
    run_import(acme_metrics, "value,period,metric,partner_ref\n12,2026-04,deals,P-003\n")
    assert stored_values(acme_metrics) == {("P-003", "deals", "2026-04"): "12.0000"}


def test_every_row_problem_is_named_with_its_line_and_nothing_is_written(acme_metrics):
    text = (
        HEADER
        + "P-001,revenue,2026-01,100\n"  # 2: fine, but must not be written
        + "P-999,revenue,2026-01,100\n"  # 3
        + "P-001,profit,2026-01,100\n"  # 4
        + "P-001,revenue,2026-13,100\n"  # 5
        + "P-001,revenue,01/2026,100\n"  # 6
        + "P-001,deals,2026-01,NaN\n"  # 7
        + "P-001,deals,2026-02,Infinity\n"  # 8
        + "P-001,deals,2026-03,twelve\n"  # 9
        + 'P-001,deals,2026-04,"1,5"\n'  # 10
        + "P-001,deals,2026-05,1e5\n"  # 11
        + "P-001,deals,2026-06,1.23456\n"  # 12
        + "P-001,deals,2026-07,123456789012345\n"  # 13
        + "P-001,revenue,2026-01,200\n"  # 14: same key as line 2
        + ",revenue,2026-01,1\n"  # 15
        + "P-002,,2026-01,1\n"  # 16
        + "P-002,deals,,\n"  # 17
        + "P-002,deals,2026-01\n"  # 18
    )
    assert problems(acme_metrics, text) == [
        "line 3: unknown partner_ref “P-999”",
        "line 4: unknown metric “profit”",
        "line 5: period “2026-13” is not a month written YYYY-MM (for example 2026-03)",
        "line 6: period “01/2026” is not a month written YYYY-MM (for example 2026-03)",
        "line 7: value “NaN” is not a finite number",
        "line 8: value “Infinity” is not a finite number",
        "line 9: value “twelve” is not a number",
        "line 10: value “1,5” is not a number: use a point for decimals and no separators",
        "line 11: value “1e5” is written with an exponent; write the number out",
        "line 12: value “1.23456” has more than 4 decimal places",
        "line 13: value “123456789012345” is too large (at most 14 digits before the decimal point)",
        "line 14: P-001 / revenue / 2026-01 already appears on line 2",
        "line 15: partner_ref is missing",
        "line 16: metric is missing",
        "line 17: period is missing",
        "line 17: value is missing",
        "line 18: has 3 values but the header has 4 columns",
    ]
    assert stored_values(acme_metrics) == {}


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("partner_ref,metric,value\nP-001,revenue,1\n", ["line 1: missing column “period”"]),
        (
            "partner_ref,metric,period,value,note\nP-001,revenue,2026-01,1,x\n",
            [
                "line 1: unknown column “note” (expected columns: partner_ref, metric, period, value)"
            ],
        ),
        ("", ["the file is empty"]),
        ("\n\n", ["the file is empty"]),
        (HEADER, ["the file has a header but no rows"]),
    ],
)
def test_file_level_problems_are_named(acme_metrics, text, expected):
    assert problems(acme_metrics, text) == expected


def test_wrong_encoding_and_nul_bytes_are_refused(acme_metrics):
    latin1 = (HEADER + "Pärtner,revenue,2026-01,1\n").encode("latin-1")
    assert problems(acme_metrics, latin1) == [
        "line 2: is not valid UTF-8 text; save the file as CSV UTF-8"
    ]
    assert problems(acme_metrics, HEADER + "P-001,revenue,2026-01,1\x00\n") == [
        "line 2: contains a NUL byte; is this a CSV text file?"
    ]


def test_a_very_long_line_is_refused_by_line(acme_metrics):
    text = HEADER + "P-001,revenue,2026-01,1\n" + "P-001," + "x" * 200_000 + ",2026-02,1\n"
    (problem,) = problems(acme_metrics, text)
    assert problem.startswith("line 3: cannot be read as CSV: field larger than field limit")


def test_the_report_shows_the_first_100_problems_by_line_and_counts_the_rest(acme_metrics):
    rows = "".join(f"P-999,revenue,2026-01,{n}\n" for n in range(250))
    lines = problems(acme_metrics, HEADER + rows)
    assert len(lines) == 101
    assert lines[:3] == [
        "line 2: unknown partner_ref “P-999”",
        "line 3: P-999 / revenue / 2026-01 already appears on line 2",
        "line 3: unknown partner_ref “P-999”",
    ]
    assert lines[98:100] == [
        "line 51: unknown partner_ref “P-999”",
        "line 52: P-999 / revenue / 2026-01 already appears on line 2",
    ]
    assert (
        lines[-1] == "... and 399 more problems"
    )  # 250 unknown refs + 249 repeats, less 100 shown


def test_a_file_over_the_size_cap_is_refused_before_reading(acme_metrics, settings):
    settings.METRIC_IMPORT_MAX_BYTES = 1_000
    big = HEADER + "P-001,revenue,2026-01,1\n" * 100
    assert problems(acme_metrics, big) == ["the file is 2.4 kB; files up to 1 kB can be imported"]


def test_the_number_of_queries_does_not_grow_with_the_file(
    acme_metrics, django_assert_num_queries, django_assert_max_num_queries
):
    small = HEADER + "P-001,revenue,2026-01,1\n"
    large = HEADER + "".join(
        f"P-00{1 + n % 3},{('revenue', 'deals', 'csat')[n % 3]},{1900 + n // 36}-{1 + n // 3 % 12:02d},{n}\n"
        for n in range(3_000)
    )
    with django_assert_max_num_queries(20) as small_queries:
        run_import(acme_metrics, small)
    with django_assert_num_queries(len(small_queries.captured_queries)):
        result = run_import(acme_metrics, large)
    assert (result.rows, result.inserted + result.updated) == (3_000, 3_000)


def xlsx_bytes(rows) -> bytes:
    workbook = openpyxl.Workbook()
    sheet = workbook.active
    for row in rows:
        sheet.append(row)
    out = io.BytesIO()
    workbook.save(out)
    return out.getvalue()


def test_an_excel_workbook_imports_from_its_first_sheet(acme_metrics):
    import datetime

    data = xlsx_bytes(
        [
            ["partner_ref", "metric", "period", "value"],
            ["P-001", "revenue", "2026-01", 1234.5],
            ["P-002", "deals", datetime.datetime(2026, 2, 1), 7],
            [None, None, None, None],
            ["P-003", "csat", "2026-01", 0.1],
        ]
    )
    result = run_import(acme_metrics, data, file_name="metrics.xlsx")
    assert result.inserted == 3
    assert stored_values(acme_metrics) == {
        ("P-001", "revenue", "2026-01"): "1234.5000",
        ("P-002", "deals", "2026-02"): "7.0000",
        ("P-003", "csat", "2026-01"): "0.1000",
    }


def test_excel_rows_are_reported_by_their_row_number(acme_metrics):
    data = xlsx_bytes(
        [["partner_ref", "metric", "period", "value"], ["P-001", "revenue", "2026-01", "abc"]]
    )
    assert problems(acme_metrics, data, file_name="m.xlsx") == [
        "line 2: value “abc” is not a number"
    ]


def test_a_zip_bomb_is_refused_without_unpacking(acme_metrics, settings):
    settings.METRIC_IMPORT_MAX_UNPACKED_BYTES = 10_000_000
    out = io.BytesIO()
    with zipfile.ZipFile(out, "w", zipfile.ZIP_DEFLATED) as archive:
        archive.writestr("xl/worksheets/sheet1.xml", b"0" * 50_000_000)
    (problem,) = problems(acme_metrics, out.getvalue(), file_name="bomb.xlsx")
    assert problem.startswith("the workbook unpacks to 50 MB, more than the 10 MB allowed")


def test_a_damaged_workbook_is_refused(acme_metrics):
    assert problems(acme_metrics, b"PK\x03\x04 not really a zip", file_name="x.xlsx") == [
        "cannot be read as an Excel workbook (.xlsx): the file is damaged"
    ]


def test_a_month_that_has_not_ended_is_refused_and_a_case_slip_is_named(acme_metrics):
    this_month = acme_metrics.tenant.local_today().strftime("%Y-%m")
    with pytest.raises(FileRejected) as rejected:
        run_import(
            acme_metrics,
            HEADER
            + f"P-001,revenue,{this_month},1\n"
            + "P-001,revenue,2099-06,1\n"
            + "p-001,Revenue,2026-01,1\n",
        )
    assert rejected.value.lines == [
        f"line 2: {this_month} has not ended: a month is imported once it is over",
        "line 3: 2099-06 has not ended: a month is imported once it is over",
        "line 4: unknown metric “Revenue” (did you mean “revenue”?)",
        "line 4: unknown partner_ref “p-001” (did you mean “P-001”?)",
    ]


def test_a_carriage_return_inside_a_quoted_field_is_named_not_a_crash(acme_metrics):
    text = HEADER + '"P-0\r01",revenue,2026-01,1\n'
    assert problems(acme_metrics, text) == ["line 2: unknown partner_ref “P-0\r01”"]
