import re

import pytest
from django.core.management import CommandError, call_command
from django_scopes import scope

from metrics.models import MetricImport

from .conftest import stored_values

HEADER = "partner_ref,metric,period,value\n"


def test_import_metrics_reports_counts_and_records_the_import(acme_metrics, tmp_path, capsys):
    path = tmp_path / "june.csv"
    path.write_text(HEADER + "P-001,revenue,2026-06,10\nP-002,revenue,2026-06,20\n")
    call_command("import_metrics", "--tenant", "acme", str(path))
    assert "2 rows, 2 new, 0 updated, 0 unchanged" in capsys.readouterr().out
    with scope(tenant=acme_metrics.tenant):
        record = MetricImport.objects.get()
    assert (record.source, record.status, record.file_name, record.rows_inserted) == (
        "command",
        "succeeded",
        "june.csv",
        2,
    )


def test_a_rejected_import_prints_every_problem_exits_1_and_is_recorded(
    acme_metrics, tmp_path, capsys
):
    path = tmp_path / "bad.csv"
    path.write_text(HEADER + "P-404,revenue,2026-06,10\nP-001,revenue,June,20\n")
    with pytest.raises(CommandError, match="2 problem"):
        call_command("import_metrics", "--tenant", "acme", str(path))
    err = capsys.readouterr().err
    assert "bad.csv: line 2: unknown partner_ref “P-404”" in err
    assert "bad.csv: line 3: period “June” is not a month written YYYY-MM" in err
    with scope(tenant=acme_metrics.tenant):
        record = MetricImport.objects.get()
    assert (record.status, record.problem_count) == ("rejected", 2)
    assert stored_values(acme_metrics) == {}


def export(*args) -> str:
    from io import StringIO

    out = StringIO()
    call_command("export_metrics", "--tenant", "acme", *args, stdout=out)
    return out.getvalue()


def test_export_is_sorted_filtered_and_imports_back_unchanged(
    acme_metrics, globex_metrics, tmp_path
):
    source = tmp_path / "in.csv"
    source.write_text(
        HEADER
        + "P-002,revenue,2026-02,-12.5\n"
        + "P-001,revenue,2026-02,100.0001\n"
        + "P-001,deals,2026-01,3\n"
        + "P-001,revenue,2025-12,1200\n"
    )
    call_command("import_metrics", "--tenant", "acme", str(source))
    call_command("import_metrics", "--tenant", "globex", str(source))
    exported = export()
    assert exported == (
        HEADER
        + "P-001,deals,2026-01,3\n"
        + "P-001,revenue,2025-12,1200\n"
        + "P-001,revenue,2026-02,100.0001\n"
        + "P-002,revenue,2026-02,-12.5\n"
    )
    assert export("--partner", "P-001", "--metric", "revenue", "--from", "2026-01") == (
        HEADER + "P-001,revenue,2026-02,100.0001\n"
    )
    before = stored_values(acme_metrics)
    again = tmp_path / "again.csv"
    again.write_text(exported)
    call_command("import_metrics", "--tenant", "acme", str(again))
    assert stored_values(acme_metrics) == before
    assert export() == exported


def test_export_refuses_bad_months(acme_metrics):
    with pytest.raises(CommandError, match=re.escape("“2026-13” is not a month written YYYY-MM.")):
        export("--from", "2026-13")
    with pytest.raises(CommandError, match=re.escape("--from is after --to.")):
        export("--from", "2026-05", "--to", "2026-01")


def test_formula_text_is_escaped_on_export_and_unescaped_on_import(acme_metrics, tmp_path):
    from partners.models import Partner

    with scope(tenant=acme_metrics.tenant):
        Partner.objects.filter(ref="P-003").update(ref="=cmd|' /C calc'!A0")
    source = tmp_path / "in.csv"
    source.write_text(HEADER + "'=cmd|' /C calc'!A0,revenue,2026-01,5\n")
    call_command("import_metrics", "--tenant", "acme", str(source))
    exported = export()
    assert "\n'=cmd|' /C calc'!A0,revenue,2026-01,5\n" in exported
    assert "\n=cmd" not in exported
