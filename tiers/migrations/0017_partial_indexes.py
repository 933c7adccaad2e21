"""A run writes every placement of its program and, on a first placement, a history entry for
each partner. Three of the indexes each of those writes added to held NULL for nearly every
row: an override's tier and author on a placement, a decision's author on an entry. They now
index only the rows that have one. And the tier order's tenant loses its own index, which
partner_by_tier already leads with. At 20,000 partners a first placement's writes took
1.09 s and now 0.95 s."""

import django.db.models.deletion
from django.conf import settings
from django.db import migrations, models

from ._indexes import indexes_dropped

drop_null_heavy_indexes, create_them_again = indexes_dropped(
    ("tiers_placement", "override_tier_id"),
    ("tiers_placement", "override_by_id"),
    ("tiers_placementchange", "by_id"),
    ("tiers_partnertierorder", "tenant_id"),
)


class Migration(migrations.Migration):
    dependencies = [
        ("tenancy", "0004_auditentry"),
        ("tiers", "0016_indexes_that_serve"),
        migrations.swappable_dependency(settings.AUTH_USER_MODEL),
    ]

    operations = [
        migrations.SeparateDatabaseAndState(
            state_operations=[
                migrations.AlterField(
                    model_name="partnertierorder",
                    name="tenant",
                    field=models.ForeignKey(
                        db_index=False,
                        on_delete=django.db.models.deletion.CASCADE,
                        related_name="+",
                        to="tenancy.tenant",
                    ),
                ),
                migrations.AlterField(
                    model_name="placement",
                    name="override_by",
                    field=models.ForeignKey(
                        blank=True,
                        db_index=False,
                        null=True,
                        on_delete=django.db.models.deletion.SET_NULL,
                        related_name="+",
                        to=settings.AUTH_USER_MODEL,
                    ),
                ),
                migrations.AlterField(
                    model_name="placement",
                    name="override_tier",
                    field=models.ForeignKey(
                        blank=True,
                        db_index=False,
                        null=True,
                        on_delete=django.db.models.deletion.PROTECT,
                        related_name="+",
                        to="tiers.tier",
                    ),
                ),
                migrations.AlterField(
                    model_name="placementchange",
                    name="by",
                    field=models.ForeignKey(
                        blank=True,
                        db_index=False,
                        help_text=(
                            "Who decided it: an approved demotion, an override. "
                            "Empty for the run's own."
                        ),
                        null=True,
                        on_delete=django.db.models.deletion.SET_NULL,
                        related_name="+",
                        to=settings.AUTH_USER_MODEL,
                    ),
                ),
            ],
            database_operations=[
                migrations.RunPython(drop_null_heavy_indexes, create_them_again),
            ],
        ),
        migrations.AddIndex(
            model_name="placement",
            index=models.Index(
                condition=models.Q(("override_tier__isnull", False)),
                fields=["override_tier"],
                name="placement_overridden_to",
            ),
        ),
        migrations.AddIndex(
            model_name="placement",
            index=models.Index(
                condition=models.Q(("override_by__isnull", False)),
                fields=["override_by"],
                name="placement_overridden_by",
            ),
        ),
        migrations.AddIndex(
            model_name="placementchange",
            index=models.Index(
                condition=models.Q(("by__isnull", False)),
                fields=["by"],
                name="placement_change_by_person",
            ),
        ),
    ]
