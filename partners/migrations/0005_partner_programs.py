"""A partner belongs to programs through its placements (tiers 0011 moved Partner.program there)."""

from django.db import migrations, models


class Migration(migrations.Migration):
    dependencies = [
        ("partners", "0004_partner_list_sort_indexes"),
        ("tiers", "0011_partner_tracks"),
    ]

    operations = [
        migrations.RemoveField(model_name="partner", name="program"),
        migrations.AddField(
            model_name="partner",
            name="programs",
            field=models.ManyToManyField(
                blank=True, related_name="partners", through="tiers.Placement", to="tiers.program"
            ),
        ),
    ]
