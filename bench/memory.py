"""Peak memory of `import_metrics` (the worker's own code path) on the largest files the limits
accept, measured by /usr/bin/time -v as the process's maximum resident set size.

    python bench/memory.py

Files: a ~185 MB CSV (5,000,000 rows), the same with one non-ASCII character, a ~450 kB
workbook whose one cell unpacks to 450 MB (refused before openpyxl opens it), and a workbook
of 200,000 rows.
"""

import os
import re
import subprocess
import sys
import tempfile
import zipfile
from pathlib import Path

from common import BENCH_DATABASE_URL, ROOT, machine, setup_django

PARTNERS, METRICS, MONTHS = 50_000, 10, 10
WORKBOOK_ROWS = 200_000


def main() -> None:
    setup_django()
    from django_scopes import scope

    from metrics.models import Metric
    from partnerhub.tenancy.models import Tenant
    from partners.models import Partner

    tenant = Tenant.objects.create(slug="bench", name="Bench")
    with scope(tenant=tenant):
        Partner.objects.bulk_create(
            Partner(tenant=tenant, ref=f"BP-{n:06d}", name=f"P{n}", joined_on="2020-01-01")
            for n in range(PARTNERS)
        )
        Metric.objects.bulk_create(
            Metric(tenant=tenant, key=f"metric-{n}", name=f"M{n}") for n in range(METRICS)
        )
    folder = Path(tempfile.mkdtemp())
    files = {
        "CSV, 5,000,000 rows": write_csv(folder / "large.csv"),
        "same CSV, one non-ASCII character": write_csv(folder / "accent.csv", accent=True),
        "workbook with one 450 MB cell": write_cell_bomb(folder / "bomb.xlsx"),
        f"workbook, {WORKBOOK_ROWS:,} rows": write_workbook(folder / "rows.xlsx"),
    }
    print(f"# memory · {machine()}")
    print("| file | size | outcome | peak RSS |")
    print("|---|---|---|---|")
    for label, path in files.items():
        outcome, peak_kb = import_and_measure(path)
        size = path.stat().st_size
        print(f"| {label} | {size / 1e6:,.1f} MB | {outcome} | {peak_kb / 1024:,.0f} MB |")


def write_csv(path: Path, *, accent: bool = False) -> Path:
    months = [f"2024-{m + 1:02d}" for m in range(MONTHS)]
    with path.open("w", encoding="utf-8") as out:
        out.write("partner_ref,metric,period,value\n")
        for n in range(PARTNERS):
            ref = "BP-é" if accent and n == PARTNERS - 1 else f"BP-{n:06d}"
            for metric in range(METRICS):
                for month in months:
                    out.write(f"{ref},metric-{metric},{month},{n % 9973}.{metric}5\n")
    return path


WORKBOOK_PARTS = {
    "[Content_Types].xml": '<?xml version="1.0"?><Types xmlns="http://schemas.openxmlformats.org/'
    'package/2006/content-types"><Default Extension="rels" ContentType="application/vnd.'
    'openxmlformats-package.relationships+xml"/><Default Extension="xml" ContentType='
    '"application/xml"/><Override PartName="/xl/workbook.xml" ContentType="application/vnd.'
    'openxmlformats-officedocument.spreadsheetml.sheet.main+xml"/><Override PartName="/xl/'
    'worksheets/sheet1.xml" ContentType="application/vnd.openxmlformats-officedocument.'
    'spreadsheetml.worksheet+xml"/></Types>',
    "_rels/.rels": '<?xml version="1.0"?><Relationships xmlns="http://schemas.openxmlformats.org/'
    'package/2006/relationships"><Relationship Id="rId1" Type="http://schemas.openxmlformats.org'
    '/officeDocument/2006/relationships/officeDocument" Target="xl/workbook.xml"/>'
    "</Relationships>",
    "xl/workbook.xml": '<?xml version="1.0"?><workbook xmlns="http://schemas.openxmlformats.org/'
    'spreadsheetml/2006/main" xmlns:r="http://schemas.openxmlformats.org/officeDocument/2006/'
    'relationships"><sheets><sheet name="Sheet1" sheetId="1" r:id="rId1"/></sheets></workbook>',
    "xl/_rels/workbook.xml.rels": '<?xml version="1.0"?><Relationships xmlns="http://schemas.'
    'openxmlformats.org/package/2006/relationships"><Relationship Id="rId1" Type="http://'
    'schemas.openxmlformats.org/officeDocument/2006/relationships/worksheet" Target="worksheets'
    '/sheet1.xml"/></Relationships>',
}


def write_cell_bomb(path: Path) -> Path:
    """A workbook whose one text cell holds 450 MB: it compresses to a few hundred kB."""
    with zipfile.ZipFile(path, "w", zipfile.ZIP_DEFLATED, compresslevel=9) as archive:
        for name, text in WORKBOOK_PARTS.items():
            archive.writestr(name, text)
        with archive.open("xl/worksheets/sheet1.xml", "w", force_zip64=True) as sheet:
            sheet.write(
                b'<?xml version="1.0"?><worksheet xmlns="http://schemas.openxmlformats.org/'
                b'spreadsheetml/2006/main"><sheetData><row r="1"><c r="A1" t="inlineStr"><is><t>'
            )
            chunk = b"a" * 1_000_000
            for _ in range(450):
                sheet.write(chunk)
            sheet.write(b"</t></is></c></row></sheetData></worksheet>")
    return path


def write_workbook(path: Path) -> Path:
    import openpyxl

    workbook = openpyxl.Workbook(write_only=True)
    sheet = workbook.create_sheet()
    sheet.append(["partner_ref", "metric", "period", "value"])
    for n in range(WORKBOOK_ROWS):
        sheet.append([f"BP-{n % PARTNERS:06d}", f"metric-{n // PARTNERS}", "2023-01", n / 4])
    workbook.save(path)
    return path


def import_and_measure(path: Path) -> tuple[str, int]:
    env = {**os.environ, "DATABASE_URL": BENCH_DATABASE_URL}
    command = ["/usr/bin/time", "-v", sys.executable, "manage.py", "import_metrics"]
    done = subprocess.run(
        [*command, "--tenant", "bench", str(path)],
        cwd=ROOT,
        env=env,
        capture_output=True,
        text=True,
        check=False,
    )
    peak = int(re.search(r"Maximum resident set size \(kbytes\): (\d+)", done.stderr)[1])
    if done.returncode == 0:
        outcome = "imported"
    else:
        lines = [line for line in done.stderr.splitlines() if line.startswith(path.name + ":")]
        outcome = "refused: " + (lines[0].split(": ", 1)[1][:70] if lines else "error")
    return outcome, peak


if __name__ == "__main__":
    main()
