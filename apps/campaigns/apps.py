from django.apps import AppConfig


class CampaignsConfig(AppConfig):
    name = "apps.campaigns"
    label = "campaigns"
    verbose_name = "Merchants and campaigns"

    def ready(self) -> None:
        from apps.core.imports import register_export, register_import
        from apps.core.pipeline import register_daily_step
        from apps.tenants.accounts import register_account_tie

        # A string path: campaigns never imports tracking (apps import only to their left).
        register_daily_step(
            60, "campaigns.tagging", "apps.tracking.performance.product_tagging_step"
        )
        register_account_tie(
            "campaigns.merchant_user", "apps.campaigns.selectors.merchants.account_tie"
        )
        register_import("products", "apps.campaigns.resources_products.ProductResource")
        register_import("merchants", "apps.campaigns.resources.MerchantImport")
        register_export("merchants", "apps.campaigns.resources.MerchantExport")
