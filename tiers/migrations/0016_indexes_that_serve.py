"""Two foreign keys lose an index another index already leads with: a placement's partner
(placement_once_per_program) and a history entry's program (placement_change_by_day). A first
placement writes every placement and a history entry for each partner; one index fewer on each.
"""

import django.db.models.deletion
from django.db import migrations, models

from ._indexes import indexes_dropped

# the partner (placement_once_per_program leads with it), the program (placement_change_by_day)
drop_redundant_indexes, create_them_again = indexes_dropped(
    ("tiers_placement", "partner_id"), ("tiers_placementchange", "program_id")
)


class Migration(migrations.Migration):
    dependencies = [
        ("partners", "0006_partner_search_trigrams"),
        ("tiers", "0015_placement_nightly_rewrite"),
    ]

    operations = [
        migrations.SeparateDatabaseAndState(
            state_operations=[
                migrations.AlterField(
                    model_name="placement",
                    name="partner",
                    field=models.ForeignKey(
                        db_index=False,
                        on_delete=django.db.models.deletion.CASCADE,
                        related_name="placements",
                        to="partners.partner",
                    ),
                ),
                migrations.AlterField(
                    model_name="placementchange",
                    name="program",
                    field=models.ForeignKey(
                        db_index=False,
                        on_delete=django.db.models.deletion.CASCADE,
                        related_name="+",
                        to="tiers.program",
                    ),
                ),
            ],
            database_operations=[
                migrations.RunPython(drop_redundant_indexes, create_them_again),
            ],
        )
    ]
