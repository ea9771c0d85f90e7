"""Issue 19: ``tracking_click`` and ``tracking_impression`` become day partitions.

Plain SQL (``apps.tracking.partitions.table_partition``): a new partitioned table with a
partition for every UTC day that has rows (and the days ahead, and DEFAULT), every row
copied, the old table dropped, the new one renamed into its place with the same indexes,
foreign keys, identity sequence position and row-level security. The state side only moves
the time column into the unique keys. First the references lose their database constraints:
``Conversion.click`` (a partitioned table's ``id`` alone cannot be referenced) and the raw
events' own (see ``Click``).
"""

import django.db.models.deletion
from django.db import migrations, models

from apps.tracking.partitions import PARTITIONED, table_partition, table_unpartition


def forwards(apps, schema_editor):
    with schema_editor.connection.cursor() as cursor:
        for table, column in PARTITIONED.items():
            table_partition(cursor, table=table, column=column)


def backwards(apps, schema_editor):
    with schema_editor.connection.cursor() as cursor:
        for table, column in PARTITIONED.items():
            table_unpartition(cursor, table=table, column=column)


class Migration(migrations.Migration):
    dependencies = [
        ("tracking", "0009_multi_currency"),
    ]

    operations = [
        # no database constraints on the raw events' and conversions' references (models.py)
        migrations.AlterField(
            model_name="click",
            name="affiliate",
            field=models.ForeignKey(
                db_constraint=False,
                db_index=False,
                on_delete=django.db.models.deletion.PROTECT,
                related_name="+",
                to="affiliates.affiliate",
            ),
        ),
        migrations.AlterField(
            model_name="click",
            name="campaign",
            field=models.ForeignKey(
                blank=True,
                db_constraint=False,
                db_index=False,
                null=True,
                on_delete=django.db.models.deletion.PROTECT,
                related_name="+",
                to="campaigns.campaign",
            ),
        ),
        migrations.AlterField(
            model_name="click",
            name="merchant",
            field=models.ForeignKey(
                blank=True,
                db_constraint=False,
                db_index=False,
                null=True,
                on_delete=django.db.models.deletion.PROTECT,
                related_name="+",
                to="campaigns.merchant",
            ),
        ),
        migrations.AlterField(
            model_name="click",
            name="placement",
            field=models.ForeignKey(
                db_constraint=False,
                db_index=False,
                on_delete=django.db.models.deletion.PROTECT,
                related_name="+",
                to="websites.placement",
            ),
        ),
        migrations.AlterField(
            model_name="click",
            name="product",
            field=models.ForeignKey(
                blank=True,
                db_constraint=False,
                db_index=False,
                null=True,
                on_delete=django.db.models.deletion.PROTECT,
                related_name="+",
                to="campaigns.product",
            ),
        ),
        migrations.AlterField(
            model_name="impression",
            name="campaign",
            field=models.ForeignKey(
                db_constraint=False,
                db_index=False,
                on_delete=django.db.models.deletion.PROTECT,
                related_name="+",
                to="campaigns.campaign",
            ),
        ),
        migrations.AlterField(
            model_name="impression",
            name="merchant",
            field=models.ForeignKey(
                db_constraint=False,
                db_index=False,
                on_delete=django.db.models.deletion.PROTECT,
                related_name="+",
                to="campaigns.merchant",
            ),
        ),
        migrations.AlterField(
            model_name="impression",
            name="placement",
            field=models.ForeignKey(
                db_constraint=False,
                db_index=False,
                on_delete=django.db.models.deletion.PROTECT,
                related_name="+",
                to="websites.placement",
            ),
        ),
        migrations.AlterField(
            model_name="impression",
            name="product",
            field=models.ForeignKey(
                db_constraint=False,
                db_index=False,
                on_delete=django.db.models.deletion.PROTECT,
                related_name="+",
                to="campaigns.product",
            ),
        ),
        migrations.AlterField(
            model_name="conversion",
            name="click",
            field=models.ForeignKey(
                blank=True,
                db_constraint=False,
                null=True,
                on_delete=django.db.models.deletion.PROTECT,
                related_name="+",
                to="tracking.click",
            ),
        ),
        migrations.SeparateDatabaseAndState(
            database_operations=[migrations.RunPython(forwards, backwards)],
            state_operations=[
                migrations.RemoveConstraint(model_name="click", name="click_click_id_unique"),
                migrations.AddConstraint(
                    model_name="click",
                    constraint=models.UniqueConstraint(
                        fields=("tenant", "click_id", "clicked_at"), name="click_click_id_unique"
                    ),
                ),
                migrations.RemoveConstraint(
                    model_name="impression", name="impression_impression_id_unique"
                ),
                migrations.AddConstraint(
                    model_name="impression",
                    constraint=models.UniqueConstraint(
                        fields=("tenant", "impression_id", "served_at"),
                        name="impression_impression_id_unique",
                    ),
                ),
            ],
        ),
    ]
