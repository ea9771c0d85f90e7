from django.apps import AppConfig


class AffiliatesConfig(AppConfig):
    name = "apps.affiliates"
    label = "affiliates"
    verbose_name = "Webmasters"

    def ready(self) -> None:
        from apps.affiliates import signals  # noqa: F401  (connects the allauth receiver)
