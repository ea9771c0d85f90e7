from django.apps import AppConfig


class AffiliatesConfig(AppConfig):
    name = "apps.affiliates"
    label = "affiliates"
    verbose_name = "Webmasters"

    def ready(self) -> None:
        from apps.affiliates import signals  # noqa: F401  (connects the allauth receiver)
        from apps.tenants.accounts import register_account_tie

        register_account_tie("affiliates.webmaster", "apps.affiliates.selectors.account_tie")
