"""Partner tracks: a placement per partner and program, and the placement row is the partner's
membership of the program (Partner.program goes in partners 0005)."""

import django.db.models.deletion
from django.db import migrations, models


def tracks_from_partner_program(apps, schema_editor):
    """Each partner's one program becomes its one track. A placement left from a program the
    partner no longer belongs to is dropped: the engine started such a partner afresh anyway."""
    Partner = apps.get_model("partners", "Partner")
    Placement = apps.get_model("tiers", "Placement")
    Placement.objects.filter(program__isnull=True).delete()
    stale = Placement.objects.exclude(partner__program_id=models.F("program_id"))
    stale.delete()
    Placement.objects.filter(joined_on__isnull=True).update(
        joined_on=models.Subquery(
            Partner.objects.filter(pk=models.OuterRef("partner_id")).values("joined_on")[:1]
        )
    )
    placed = Placement.objects.values("partner_id")
    Placement.objects.bulk_create(
        [
            Placement(
                tenant_id=tenant_id,
                partner_id=partner_id,
                program_id=program_id,
                joined_on=joined_on,
                explanation={},
                before_evaluation={},
                before_override={},
                override_reason="",
            )
            for partner_id, tenant_id, program_id, joined_on in Partner.objects.filter(
                program__isnull=False
            )
            .exclude(pk__in=placed)
            .values_list("pk", "tenant_id", "program_id", "joined_on")
            .iterator(chunk_size=5_000)
        ],
        batch_size=5_000,
    )


class Migration(migrations.Migration):
    dependencies = [
        ("partners", "0004_partner_list_sort_indexes"),
        ("tiers", "0010_placement_change_by"),
    ]

    operations = [
        migrations.AddField(
            model_name="placement",
            name="joined_on",
            field=models.DateField(null=True, help_text="When the partner joined this program."),
        ),
        migrations.AlterField(
            model_name="placement",
            name="partner",
            field=models.ForeignKey(
                on_delete=django.db.models.deletion.CASCADE,
                related_name="placements",
                to="partners.partner",
            ),
        ),
        migrations.RunPython(tracks_from_partner_program, migrations.RunPython.noop),
        migrations.AlterField(
            model_name="placement",
            name="program",
            field=models.ForeignKey(
                on_delete=django.db.models.deletion.CASCADE,
                related_name="placements",
                to="tiers.program",
            ),
        ),
        migrations.AlterField(
            model_name="placement",
            name="joined_on",
            field=models.DateField(help_text="When the partner joined this program."),
        ),
        migrations.AddConstraint(
            model_name="placement",
            constraint=models.UniqueConstraint(
                fields=("partner", "program"), name="placement_once_per_program"
            ),
        ),
        migrations.RemoveConstraint(
            model_name="placementchange",
            name="placement_change_once",
        ),
        migrations.AddConstraint(
            model_name="placementchange",
            constraint=models.UniqueConstraint(
                condition=models.Q(
                    ("undone_at__isnull", True), models.Q(("reason", "undone"), _negated=True)
                ),
                fields=("partner", "program", "on", "from_tier", "to_tier", "reason"),
                name="placement_change_once",
                nulls_distinct=False,
            ),
        ),
        *(
            migrations.AlterField(
                model_name=model,
                name="reason",
                field=models.CharField(
                    choices=[
                        ("placed", "Placed"),
                        ("promotion", "Promotion"),
                        ("demotion", "Demotion"),
                        ("grace_expiry", "Grace period ended"),
                        ("override", "Override"),
                        ("override_cleared", "Override cleared"),
                        ("at_risk", "At risk"),
                        ("undone", "Run undone"),
                        ("left", "Left the program"),
                    ],
                    max_length=16,
                ),
            )
            for model in ("pendingdemotion", "placementchange")
        ),
    ]
