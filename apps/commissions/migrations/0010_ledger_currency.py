"""Ledger accounts in a currency; legs balance per currency (issue 17, docs/currency.md).

Every account so far is in its tenant's currency (filled per tenant: row-level security shows
each tenant's rows only under its own app.tenant_id). The balance trigger of migration 0002
now checks, at commit, that a transaction's legs sum to zero *in each currency*, so money of
two currencies never meets in one transaction without an FX leg on each side; an account's
currency never changes once set.
"""

import django.core.validators
from django.db import migrations, models

FILL = """
UPDATE commissions_ledgeraccount AS account
   SET currency = tenant.currency
  FROM tenants_tenant AS tenant
 WHERE tenant.id = account.tenant_id AND account.currency = ''
"""


def fill(apps, schema_editor):
    with schema_editor.connection.cursor() as cursor:
        cursor.execute("SELECT id FROM tenants_tenant")
        for (tenant_id,) in cursor.fetchall():
            cursor.execute("SELECT set_config('app.tenant_id', %s, true)", [str(tenant_id)])
            cursor.execute(FILL)
        cursor.execute("SELECT set_config('app.tenant_id', '', true)")


PER_CURRENCY = """
CREATE OR REPLACE FUNCTION commissions_ledger_balanced() RETURNS trigger LANGUAGE plpgsql AS $$
DECLARE bad record;
BEGIN
    SELECT account.currency, SUM(entry.amount) AS total INTO bad
      FROM commissions_ledgerentry AS entry
      JOIN commissions_ledgeraccount AS account ON account.id = entry.account_id
     WHERE entry.transaction_id = NEW.transaction_id
     GROUP BY account.currency
    HAVING SUM(entry.amount) <> 0
     LIMIT 1;
    IF FOUND THEN
        RAISE EXCEPTION 'ledger transaction % is unbalanced: its % legs sum to %',
            NEW.transaction_id, bad.currency, bad.total USING ERRCODE = 'check_violation';
    END IF;
    RETURN NULL;
END $$;

CREATE FUNCTION commissions_ledger_account_currency_kept() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    IF OLD.currency <> '' AND NEW.currency IS DISTINCT FROM OLD.currency THEN
        RAISE EXCEPTION 'ledger account % is in %: its currency never changes',
            OLD.id, OLD.currency USING ERRCODE = 'check_violation';
    END IF;
    RETURN NEW;
END $$;

CREATE TRIGGER ledger_account_currency_kept
    BEFORE UPDATE OF currency ON commissions_ledgeraccount
    FOR EACH ROW EXECUTE FUNCTION commissions_ledger_account_currency_kept();
"""

ONE_CURRENCY = """
DROP TRIGGER IF EXISTS ledger_account_currency_kept ON commissions_ledgeraccount;
DROP FUNCTION IF EXISTS commissions_ledger_account_currency_kept();
CREATE OR REPLACE FUNCTION commissions_ledger_balanced() RETURNS trigger LANGUAGE plpgsql AS $$
DECLARE total numeric;
BEGIN
    SELECT COALESCE(SUM(amount), 0) INTO total
      FROM commissions_ledgerentry WHERE transaction_id = NEW.transaction_id;
    IF total <> 0 THEN
        RAISE EXCEPTION 'ledger transaction % is unbalanced: its legs sum to %',
            NEW.transaction_id, total USING ERRCODE = 'check_violation';
    END IF;
    RETURN NULL;
END $$;
"""


class Migration(migrations.Migration):
    dependencies = [
        ("commissions", "0009_rebate_tier_caps_history"),
        ("tenants", "0005_tenant_billing_settings_history"),
    ]

    operations = [
        migrations.RemoveConstraint(model_name="ledgeraccount", name="ledger_account_unique"),
        migrations.AddField(
            model_name="ledgeraccount",
            name="currency",
            field=models.CharField(
                default="",
                max_length=3,
                validators=[
                    django.core.validators.RegexValidator(
                        "^[A-Z]{3}$", "Use an ISO 4217 code such as CNY or EUR."
                    )
                ],
            ),
            preserve_default=False,
        ),
        migrations.AlterField(
            model_name="ledgeraccount",
            name="kind",
            field=models.CharField(
                choices=[
                    ("webmaster_payable", "Webmaster payable"),
                    ("webmaster_pending", "Webmaster pending (not yet approved)"),
                    ("merchant_balance", "Merchant balance"),
                    ("merchant_receivable", "Merchant receivable (invoiced)"),
                    ("network_revenue", "Network revenue"),
                    ("network_fee_revenue", "Network fee revenue"),
                    ("network_cost", "Network costs"),
                    ("network_cash", "Network cash (payouts and deposits)"),
                    ("fx_clearing", "FX clearing (exchange between currencies)"),
                    ("tax_payable", "Income tax withheld (payable)"),
                ],
                max_length=24,
            ),
        ),
        migrations.AddConstraint(
            model_name="ledgeraccount",
            constraint=models.UniqueConstraint(
                fields=("tenant", "kind", "affiliate", "merchant", "currency"),
                name="ledger_account_unique",
                nulls_distinct=False,
            ),
        ),
        migrations.RunSQL(PER_CURRENCY, ONE_CURRENCY),
        migrations.RunPython(fill, migrations.RunPython.noop),
        migrations.AddConstraint(
            model_name="ledgeraccount",
            constraint=models.CheckConstraint(
                condition=models.Q(("currency", ""), _negated=True),
                name="ledger_account_currency",
            ),
        ),
    ]
