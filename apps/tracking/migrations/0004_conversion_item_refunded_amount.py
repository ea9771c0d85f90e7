"""Order lines carry their share of the order's refund (issue 22: lines and GMV agree)."""

from django.db import migrations, models

# Lines of orders refunded or cancelled before this migration get their share now, line by
# line (the next status change of such an order allocates it exactly). Row-level security
# shows each tenant's rows only under its own app.tenant_id, so the backfill runs per tenant.
BACKFILL = """
UPDATE tracking_conversionitem AS item
   SET refunded_amount = CASE
           WHEN conversion.status = 'cancelled' THEN item.amount
           ELSE LEAST(item.amount, ROUND(item.amount * conversion.refund_amount
                                         / conversion.amount, 2))
       END
  FROM tracking_conversion AS conversion
 WHERE item.conversion_id = conversion.id
   AND (conversion.status = 'cancelled'
        OR (conversion.status = 'refunded' AND conversion.amount > 0))
"""


def backfill(apps, schema_editor):
    with schema_editor.connection.cursor() as cursor:
        cursor.execute("SELECT id FROM tenants_tenant")
        for (tenant_id,) in cursor.fetchall():
            cursor.execute("SELECT set_config('app.tenant_id', %s, true)", [str(tenant_id)])
            cursor.execute(BACKFILL)
        cursor.execute("SELECT set_config('app.tenant_id', '', true)")


class Migration(migrations.Migration):
    dependencies = [
        ("campaigns", "0003_products_campaigns"),
        ("tenants", "0003_tenant_coupon_attribution"),
        ("tracking", "0003_coupons_and_tracking_keys"),
    ]

    operations = [
        migrations.AddField(
            model_name="conversionitem",
            name="refunded_amount",
            field=models.DecimalField(decimal_places=2, default=0, max_digits=14),
        ),
        migrations.AddConstraint(
            model_name="conversionitem",
            constraint=models.CheckConstraint(
                condition=models.Q(("refunded_amount__gte", 0))
                & models.Q(("refunded_amount__lte", models.F("amount"))),
                name="conversion_item_refund_within_line",
            ),
        ),
        # after every ALTER TABLE: no schema change follows the rows' UPDATE
        migrations.RunPython(backfill, migrations.RunPython.noop),
    ]
