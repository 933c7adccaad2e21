import json
import re
from io import StringIO

import pytest
from django.core import mail
from django.core.management import CommandError, call_command
from django_scopes import scope

from partners.models import Partner
from tests.factories import move_to
from tiers.models import CriteriaVersion, Notice, Program

from .conftest import PROGRAM, set_values


def command(*args) -> str:
    out = StringIO()
    call_command(*args, stdout=out)
    return out.getvalue()


def write(tmp_path, data, name="program.json"):
    path = tmp_path / name
    path.write_text(json.dumps(data))
    return path


def test_loading_the_same_file_twice_changes_nothing(acme, tmp_path):
    path = write(tmp_path, PROGRAM)
    assert (
        command("load_program", "--tenant", "acme", str(path))
        == "Program resell now at criteria version 1.\n"
    )
    assert command("load_program", "--tenant", "acme", str(path)) == "Program resell unchanged.\n"
    with scope(tenant=acme.tenant):
        assert CriteriaVersion.objects.count() == 1
        assert {
            m.key for m in __import__("metrics.models", fromlist=["Metric"]).Metric.objects.all()
        } == {"revenue", "csat"}


def test_export_program_writes_what_load_program_reads(acme, tmp_path):
    command("load_program", "--tenant", "acme", str(write(tmp_path, PROGRAM)))
    exported = json.loads(command("export_program", "--tenant", "acme", "--program", "resell"))
    assert exported["tiers"][2]["rule"]["all"][1] == {
        "metric": "csat",
        "agg": "avg",
        "window": 6,
        "op": ">=",
        "value": "4.2",
    }
    again = write(tmp_path, exported, "again.json")
    assert command("load_program", "--tenant", "acme", str(again)) == "Program resell unchanged.\n"


def test_a_changed_rule_makes_a_new_version_with_a_readable_diff(acme, tmp_path):
    command("load_program", "--tenant", "acme", str(write(tmp_path, PROGRAM)))
    changed = json.loads(json.dumps(PROGRAM))
    changed["tiers"][1]["rule"]["value"] = 120000
    changed["grace_days"] = 30
    assert "criteria version 2" in command(
        "load_program", "--tenant", "acme", str(write(tmp_path, changed))
    )
    with scope(tenant=acme.tenant):
        version = CriteriaVersion.objects.get(number=2)
    assert version.changes == [
        "Grace period: 0 → 30 days.",
        "Tier silver rule: sum of revenue over 12 months >= 100000 → sum of revenue over 12 months >= 120000.",
    ]


@pytest.mark.parametrize(
    ("change", "message"),
    [
        (
            lambda p: p["tiers"][2]["rule"]["all"][1].update(window=48),
            "tier gold: rule.all[1].window: must be a whole number from 1 to 36 (got 48)",
        ),
        (
            lambda p: p["tiers"][1].update(
                rule={"metric": "revenue", "agg": "total", "window": 12, "op": ">=", "value": 1}
            ),
            "tier silver: rule.agg: must be one of sum, avg, min, max, latest, count (got 'total')",
        ),
        (
            lambda p: p["tiers"][1].update(rank=0),
            "tier silver: rank: 0 is also the rank of tier registered",
        ),
        (
            lambda p: p["tiers"][1].update(key="registered"),
            "tier registered: key: “registered” is also the key of tiers[0]",
        ),
        (
            lambda p: p["tiers"][1].update(rules=p["tiers"][1].pop("rule")),
            "tier silver: rules: unknown field “rules” (did you mean “rule”?)",
        ),
        (
            lambda p: p.update(grace_day=30),
            "grace_day: unknown field “grace_day” (did you mean “grace_days”?)",
        ),
        (
            lambda p: p["tiers"][0].update(benefit=p["tiers"][0].pop("benefits")),
            "tier registered: benefit: unknown field “benefit” (did you mean “benefits”?)",
        ),
        (
            lambda p: p.update(owner="ada"),
            "owner: unknown field “owner” (known: certifications, demotion_approval, demotions, "
            "grace_days, key, metrics, name, require_closed_months, tiers)",
        ),
        (
            lambda p: p["tiers"][1]["rule"].update(metric="revnue"),
            "tier silver: rule.metric: unknown metric “revnue” (did you mean “revenue”?): "
            "list it under “metrics” in the file, or create it first",
        ),
        (
            lambda p: p["tiers"][2]["rule"]["all"][2].update(certification="sales-pr0"),
            "tier gold: rule.all[2].certification: unknown certification “sales-pr0” "
            "(did you mean “sales-pro”?)",
        ),
        (
            lambda p: p["tiers"][2]["rule"]["all"][0].update(
                metirc=p["tiers"][2]["rule"]["all"][0].pop("metric")
            ),
            "tier gold: rule.all[0].metirc: unknown field “metirc” (did you mean “metric”?)",
        ),
        (
            lambda p: p["tiers"][1].update(key="Silver Tier"),
            "tier Silver Tier: key: “Silver Tier” is not a key",
        ),
        (
            lambda p: p["tiers"][0]["benefits"][0].update(titel="x"),
            "tier registered: benefits[0].titel: unknown field “titel” (did you mean “title”?)",
        ),
        (
            lambda p: p["metrics"][0].update(unti="currency"),
            "metrics[0].unti: unknown field “unti” (did you mean “unit”?)",
        ),
        (lambda p: p.update(grace_days=-1), "“grace_days” must be a whole number ≥ 0."),
    ],
)
def test_a_file_with_a_bad_rule_is_refused_whole(acme, tmp_path, change, message):
    data = json.loads(json.dumps(PROGRAM))
    change(data)
    with pytest.raises(CommandError, match=re.escape(message)):
        command("load_program", "--tenant", "acme", str(write(tmp_path, data)))
    with scope(tenant=acme.tenant):
        assert not Program.objects.exists()


def test_a_file_that_is_not_json_is_named(acme, tmp_path):
    path = tmp_path / "broken.json"
    path.write_text("{not json")
    with pytest.raises(CommandError, match=re.escape("broken.json is not valid JSON")):
        command("load_program", "--tenant", "acme", str(path))


def test_recalculate_prints_a_summary_and_dry_run_lists_changes(acme, tmp_path):
    command("load_program", "--tenant", "acme", str(write(tmp_path, PROGRAM)))
    with scope(tenant=acme.tenant):
        move_to(Partner.objects.all(), Program.objects.get())
    set_values(acme, "P-002", "revenue", {"2026-01": "100000"})
    dry = command("recalculate_tiers", "--tenant", "acme", "--as-of", "2026-11-22", "--dry-run")
    assert (
        "resell on 2026-11-22: 3 partners evaluated, 3 placed, 0 promoted, 0 demoted, 0 newly at risk"
        in dry
    )
    assert "  Would change P-002: - → silver (placed)" in dry
    out = command("recalculate_tiers", "--tenant", "acme", "--as-of", "2026-11-22")
    assert "3 placed, 0 promoted" in out
    placements = command("export_placements", "--tenant", "acme")
    assert placements == (
        "program,partner_ref,tier,qualified_tier,at_risk_since,override_until\n"
        "resell,P-001,registered,registered,,\n"
        "resell,P-002,silver,silver,,\n"
        "resell,P-003,registered,registered,,\n"
    )
    with pytest.raises(CommandError, match="before this program's last evaluation"):
        command("recalculate_tiers", "--tenant", "acme", "--as-of", "2026-11-21")
    with pytest.raises(CommandError, match="“22/11/2026” is not a date"):
        command("recalculate_tiers", "--tenant", "acme", "--as-of", "22/11/2026")


def test_override_tier_and_clear(acme, tmp_path):
    command("load_program", "--tenant", "acme", str(write(tmp_path, PROGRAM)))
    with scope(tenant=acme.tenant):
        move_to(Partner.objects.all(), Program.objects.get())
    args = ["override_tier", "--tenant", "acme", "--partner", "P-003"]
    assert "P-003 held at Gold until 2099-01-01." in command(
        *args, "--tier", "gold", "--until", "2099-01-01", "--reason", "Launch"
    )
    assert (
        command("export_placements", "--tenant", "acme").splitlines()[3]
        == "resell,P-003,gold,,,2099-01-01"
    )
    with pytest.raises(CommandError, match="No tier “platinum”"):
        command(*args, "--tier", "platinum", "--until", "2099-01-01", "--reason", "x")
    with pytest.raises(CommandError, match="--tier, --until and --reason are required"):
        command(*args, "--tier", "gold")
    assert "Override of P-003 cleared: back at no tier." in command(*args, "--clear")
    assert command("export_placements", "--tenant", "acme").splitlines()[3] == "resell,P-003,,,,", (
        "clearing is for mistakes: the partner is back where it stood before the override"
    )
    with pytest.raises(CommandError, match="has no override to end"):
        command(*args, "--clear")


def test_undo_recalculation_goes_back_one_run(acme, tmp_path):
    command("load_program", "--tenant", "acme", str(write(tmp_path, PROGRAM)))
    with scope(tenant=acme.tenant):
        move_to(Partner.objects.all(), Program.objects.get())
    command("recalculate_tiers", "--tenant", "acme", "--as-of", "2026-11-22")
    assert "resell,P-002,registered" in command("export_placements", "--tenant", "acme")
    out = command("undo_recalculation", "--tenant", "acme", "--program", "resell")
    assert out == "The run of resell on 2026-11-22 is undone; placements are as of no evaluation.\n"
    assert command("export_placements", "--tenant", "acme").splitlines()[1:] == [
        "resell,P-001,,,,",
        "resell,P-002,,,,",
        "resell,P-003,,,,",
    ]
    with pytest.raises(CommandError, match="no run to undo"):
        command("undo_recalculation", "--tenant", "acme", "--program", "resell")


def test_tier_changes_notify_partner_users_and_the_account_manager_once(
    acme, tmp_path, django_capture_on_commit_callbacks
):
    command("load_program", "--tenant", "acme", str(write(tmp_path, PROGRAM)))
    with scope(tenant=acme.tenant):
        move_to(Partner.objects.all(), Program.objects.get())
    set_values(acme, "P-001", "revenue", {"2026-01": "100000"})
    with django_capture_on_commit_callbacks(execute=True):
        command("recalculate_tiers", "--tenant", "acme", "--as-of", "2026-11-22")
    with django_capture_on_commit_callbacks(execute=True):
        command("recalculate_tiers", "--tenant", "acme", "--as-of", "2026-11-22")
    p001 = [m for m in mail.outbox if "Acme P-001 was placed in Silver." in m.body]
    assert sorted((m.to[0], m.subject) for m in p001) == [
        ("manager@acme.test", "Acme: Acme P-001 is now Silver"),
        ("partner@acme.test", "Acme: you are now Silver"),
    ]
    with scope(tenant=acme.tenant):
        assert Notice.objects.filter(user=acme.partner_user.user).count() == 1


def test_suspicious_content_loads_with_a_warning_for_each_thing(acme, tmp_path):
    data = json.loads(json.dumps(PROGRAM))
    data["tiers"][2]["rule"]["all"][0]["value"] = 50000  # Gold asks less revenue than Silver
    data["tiers"].append(
        {"key": "platinum", "name": "Platinum", "rank": 3, "rule": {"all": [{"any": []}]}}
    )
    path = write(tmp_path, data)
    command("load_program", "--tenant", "acme", str(path))  # makes the metrics
    set_values(acme, "P-001", "revenue", {"2026-01": "1000"})
    errors = StringIO()
    call_command("load_program", "--tenant", "acme", str(path), stdout=StringIO(), stderr=errors)
    assert errors.getvalue().splitlines() == [
        "program.json: warning: tier silver: rule.window: 12 months, but revenue has values "
        "only since 2026-01 (10 complete months)",
        "program.json: warning: tier gold: rule.all[0].window: 12 months, but revenue has "
        "values only since 2026-01 (10 complete months)",
        "program.json: warning: tier gold: rule.all[1]: csat has no values yet",
        "program.json: warning: tier platinum: rule.all[0].any has no parts, so it never holds",
        "program.json: warning: tier gold asks for less than the lower tier silver: sum of "
        "revenue over 12 months >= 50000 against sum of revenue over 12 months >= 100000",
    ]
    with scope(tenant=acme.tenant):
        assert Program.objects.get().tiers.count() == 4, "warnings do not stop the load"


def test_commands_name_a_case_slip_and_an_impossible_date(acme, tmp_path):
    command("load_program", "--tenant", "acme", str(write(tmp_path, PROGRAM)))
    with scope(tenant=acme.tenant):
        move_to(Partner.objects.all(), Program.objects.get())
    hold = ["override_tier", "--tenant", "acme", "--tier", "gold", "--reason", "x"]
    with pytest.raises(
        CommandError, match=re.escape("unknown partner_ref “p-003” (did you mean “P-003”?)")
    ):
        command(*hold, "--partner", "p-003", "--until", "2099-01-01")
    with pytest.raises(CommandError, match=re.escape("--until: “2027-02-30” is not a real date")):
        command(*hold, "--partner", "P-003", "--until", "2027-02-30")
    with pytest.raises(CommandError, match=re.escape("--as-of: “2026-13-01” is not a real date")):
        command("recalculate_tiers", "--tenant", "acme", "--as-of", "2026-13-01")


INCENTIVE_PROGRAM = json.loads(json.dumps(PROGRAM))
INCENTIVE_PROGRAM["tiers"][1]["rebates"] = [{"metric": "revenue", "rate": "2.5"}]
INCENTIVE_PROGRAM["tiers"][2]["rebates"] = [{"metric": "revenue", "rate": "3.5", "cap": "20000"}]
INCENTIVE_PROGRAM["tiers"][2]["mdf"] = {"quarterly": "10000"}


def test_rebates_and_mdf_round_trip_through_the_program_file(acme, tmp_path):
    path = write(tmp_path, INCENTIVE_PROGRAM)
    command("load_program", "--tenant", "acme", str(path))
    exported = json.loads(command("export_program", "--tenant", "acme", "--program", "resell"))
    gold = exported["tiers"][2]
    assert gold["rebates"] == [{"metric": "revenue", "rate": "3.5", "cap": "20000"}]
    assert gold["mdf"] == {"quarterly": "10000"}
    assert "rebates" not in exported["tiers"][0] and "mdf" not in exported["tiers"][0]
    again = write(tmp_path, exported, name="again.json")
    assert "unchanged" in command("load_program", "--tenant", "acme", str(again))
    changed = json.loads(json.dumps(exported))
    changed["tiers"][2]["rebates"][0]["rate"] = "4"
    command("load_program", "--tenant", "acme", str(write(tmp_path, changed, name="c.json")))
    with scope(tenant=acme.tenant):
        version = CriteriaVersion.objects.get(number=2)
        assert version.changes == [
            "Tier gold rebates: 3.5 % of revenue up to 20000 → 4 % of revenue up to 20000."
        ]
        assert not version.moves_placements, "money changes move no placement"


@pytest.mark.parametrize(
    ("change", "message"),
    [
        (
            lambda t: t[2]["rebates"][0].update(rat="3"),
            "tier gold: rebates[0].rat: unknown field “rat” (did you mean “rate”?)",
        ),
        (
            lambda t: t[2]["rebates"][0].update(metric="revnue"),
            "tier gold: rebates[0].metric: unknown metric “revnue” (did you mean “revenue”?)",
        ),
        (
            lambda t: t[2]["rebates"][0].update(rate="0"),
            "tier gold: rebates[0].rate: must be a percentage above 0 and up to 100 (got '0')",
        ),
        (
            lambda t: t[2]["rebates"][0].update(rate="101"),
            "tier gold: rebates[0].rate: must be a percentage above 0 and up to 100",
        ),
        (
            lambda t: t[2]["rebates"][0].update(cap="-5"),
            "tier gold: rebates[0].cap: must be an amount ≥ 0 (got '-5')",
        ),
        (
            lambda t: t[2]["rebates"].append({"metric": "revenue", "rate": "1"}),
            "tier gold: rebates[1].metric: revenue has a rebate already in this tier",
        ),
        (
            lambda t: t[2].update(mdf={"quaterly": "10000"}),
            "tier gold: mdf.quaterly: unknown field “quaterly” (did you mean “quarterly”?)",
        ),
        (
            lambda t: t[2].update(mdf={"quarterly": "10000.001"}),
            "tier gold: mdf.quarterly: must be an amount ≥ 0 (got '10000.001')",
        ),
    ],
)
def test_a_wrong_rebate_or_mdf_is_refused_whole(acme, tmp_path, change, message):
    data = json.loads(json.dumps(INCENTIVE_PROGRAM))
    change(data["tiers"])
    with pytest.raises(CommandError, match=re.escape(message)):
        command("load_program", "--tenant", "acme", str(write(tmp_path, data)))
