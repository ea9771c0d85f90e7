from django.apps import AppConfig


class BillingConfig(AppConfig):
    name = "apps.billing"
    label = "billing"
    verbose_name = "Merchant billing"

    def ready(self) -> None:
        from apps.core.pipeline import register_daily_step
        from apps.core.reconcile import register_reconcile_check

        # After spend is charged (commissions.spend, 35): balances, then who may be served.
        register_daily_step(
            36, "billing.prepaid", "apps.billing.services.prepaid.merchants_prepaid_refresh_day"
        )
        register_reconcile_check(80, "billing.invoices", "apps.billing.reconcile.invoices")
        register_reconcile_check(85, "billing.payments", "apps.billing.reconcile.payments")
        register_reconcile_check(90, "billing.pnl", "apps.billing.reconcile.pnl")
