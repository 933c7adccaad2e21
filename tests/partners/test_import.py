"""import_partners: upsert by ref, all or nothing, every problem named with its line number."""

import pytest
from django.core.management import CommandError, call_command
from django_scopes import scope

from partnerhub.csvfiles import FileRejected
from partners.models import Partner
from partners.services import partner_import_csv
from tiers.models import Program


def import_csv(world, text: str, *, encoding="utf-8"):
    return partner_import_csv(tenant=world.tenant, data=text.encode(encoding))


def rejection_lines(world, text: str, **kwargs) -> list[str]:
    with pytest.raises(FileRejected) as rejected:
        import_csv(world, text, **kwargs)
    return rejected.value.lines


def partners_of(world) -> dict[str, tuple]:
    with scope(tenant=world.tenant):
        return {
            p.ref: (p.name, ";".join(sorted(q.key for q in p.programs.all())), p.type, p.region)
            for p in Partner.objects.prefetch_related("programs")
        }


def test_new_refs_are_created_and_known_refs_updated(acme, globex):
    with scope(tenant=acme.tenant):
        Program.objects.create(tenant=acme.tenant, key="gold-program", name="Gold")
    globex_before = partners_of(globex)
    result = import_csv(
        acme,
        "ref,name,program,type,region\n"
        "P-001,Acme Renamed,gold-program,msp,DACH\n"
        "P-010,Newcomer GmbH,,reseller,Nordics\n"
        "P-002,Acme P-002,,reseller,EMEA\n",
    )
    assert (result.created, result.updated, result.unchanged) == (1, 1, 1)
    after = partners_of(acme)
    assert after["P-001"] == ("Acme Renamed", "gold-program", "msp", "DACH")
    assert after["P-010"] == ("Newcomer GmbH", "", "reseller", "Nordics")
    assert after["P-003"] == ("Acme P-003", "", "reseller", "EMEA")
    assert partners_of(globex) == globex_before, "the other tenant's same refs are untouched"


def test_importing_the_same_file_twice_changes_nothing_the_second_time(acme):
    text = "ref,name,type\nP-100,Hundred,reseller\n"
    assert import_csv(acme, text).created == 1
    again = import_csv(acme, text)
    assert (again.created, again.updated, again.unchanged) == (0, 0, 1)


def test_columns_left_out_of_the_file_keep_their_values(acme):
    import_csv(acme, "ref,name,type\nP-001,Only Name Changed,reseller\n")
    assert partners_of(acme)["P-001"] == ("Only Name Changed", "", "reseller", "EMEA")


def test_spreadsheet_files_import_as_saved(acme):
    text = (
        "\ufeffRef,Name,Program,Type,Region\r\n"
        '"P-200","Müller, Schmidt & Söhne",,"Reseller","Baden-Württemberg"\r\n'
    )
    import_csv(acme, text)
    assert partners_of(acme)["P-200"] == (
        "Müller, Schmidt & Söhne",
        "",
        "reseller",
        "Baden-Württemberg",
    )


def test_a_bad_file_names_every_problem_with_its_line_and_writes_nothing(acme):
    before = partners_of(acme)
    lines = rejection_lines(
        acme,
        "ref,name,program,type,region\n"
        "P-001,Good Row,,reseller,EMEA\n"  # line 2: fine, but must not be written
        ",No Ref,,reseller,EMEA\n"  # line 3
        "P-300,,,reseller,EMEA\n"  # line 4
        "P-301,Bad Type,,Value Added Reseller!,EMEA\n"  # line 5
        "P-001,Again,,reseller,EMEA\n"  # line 6
        "P-302,Short Row,,reseller\n"  # line 7
        "P-303,Bad Program,gold program,reseller,EMEA\n",  # line 8
    )
    assert lines == [
        "line 3: ref is missing",
        "line 4: name is missing",
        "line 5: type “Value Added Reseller!” is not a short key (lowercase letters, digits, - and _)",
        "line 6: ref “P-001” already appears on line 2",
        "line 7: has 4 values but the header has 5 columns",
        "line 8: unknown program “gold program” (programs: none yet)",
    ]
    assert partners_of(acme) == before


def test_line_numbers_count_lines_inside_quoted_fields(acme):
    lines = rejection_lines(
        acme, 'ref,name,type\nP-400,"Two\nLine Name",reseller\nP-401,,reseller\n'
    )
    assert lines == ["line 4: name is missing"]


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        (
            "ref,name,type,colour\nP-1,X,reseller,red\n",
            [
                "line 1: unknown column “colour” "
                "(expected columns: ref, name, type, programs, program, region)"
            ],
        ),
        ("ref,type\nP-1,reseller\n", ["line 1: missing column “name”"]),
        ("ref,name,type,name\nP-1,X,reseller,Y\n", ["line 1: column “name” appears twice"]),
        ("", ["the file is empty"]),
        ("ref,name,type\n", ["the file has a header but no rows"]),
    ],
)
def test_header_problems_are_named(acme, text, expected):
    assert rejection_lines(acme, text) == expected


def test_a_file_that_is_not_utf8_is_refused_with_the_line(acme):
    lines = rejection_lines(acme, "ref,name,type\nP-1,Café,reseller\n", encoding="latin-1")
    assert lines == ["line 2: is not valid UTF-8 text; save the file as CSV UTF-8"]


def test_nul_bytes_are_refused(acme):
    assert rejection_lines(acme, "ref,name,type\nP-1,A\x00B,reseller\n") == [
        "line 2: contains a NUL byte; is this a CSV text file?"
    ]


def test_the_report_is_capped_but_counts_every_problem(acme):
    rows = "".join(f"P-{n},,reseller\n" for n in range(150))
    lines = rejection_lines(acme, "ref,name,type\n" + rows)
    assert len(lines) == 101
    assert lines[-1] == "... and 50 more problems"


def test_the_command_prints_the_report_and_exits_with_status_1(acme, tmp_path, capsys):
    bad = tmp_path / "partners.csv"
    bad.write_text("ref,name,type\nP-9,,reseller\n")
    with pytest.raises(CommandError, match="1 problem"):
        call_command("import_partners", "--tenant", "acme", str(bad))
    assert "partners.csv: line 2: name is missing" in capsys.readouterr().err


def test_the_command_reports_what_it_did(acme, tmp_path, capsys):
    good = tmp_path / "partners.csv"
    good.write_text("ref,name,program,type,region\nP-500,Five Hundred,,msp,APAC\n")
    call_command("import_partners", "--tenant", "acme", str(good))
    assert "1 created, 0 updated, 0 unchanged" in capsys.readouterr().out


def test_the_command_refuses_an_unknown_tenant(db, tmp_path):
    path = tmp_path / "p.csv"
    path.write_text("ref,name,type\nP-1,X,reseller\n")
    with pytest.raises(CommandError, match="No tenant with slug “nobody”"):
        call_command("import_partners", "--tenant", "nobody", str(path))
