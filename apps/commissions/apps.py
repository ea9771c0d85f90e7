from django.apps import AppConfig


class CommissionsConfig(AppConfig):
    name = "apps.commissions"
    label = "commissions"
    verbose_name = "Commissions, earnings and settlements"

    def ready(self) -> None:
        from apps.core.imports import register_import
        from apps.core.pipeline import register_daily_step

        register_daily_step(
            20, "commissions.accrue", "apps.commissions.services.accrual.commissions_accrue_day"
        )
        register_daily_step(
            30, "commissions.earnings", "apps.commissions.services.earnings.earnings_compute_day"
        )
        register_daily_step(
            35, "commissions.spend", "apps.commissions.services.ledger.merchant_spend_charge_day"
        )
        register_daily_step(
            40, "commissions.weights", "apps.commissions.services.weights.site_weights_compute"
        )
        register_daily_step(
            50, "commissions.approve", "apps.commissions.services.accrual.commissions_approve_due"
        )
        from apps.tenants.services import register_tenant_setup

        register_tenant_setup(
            "commissions.rebate_tiers",
            "apps.commissions.services.rebates.rebate_tiers_default_create",
        )
        register_import("commission_rules", "apps.commissions.resources.CommissionRuleImport")

        from apps.commissions.reconcile import register_checks

        register_checks()
