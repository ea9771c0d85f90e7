from django.apps import AppConfig


class FxConfig(AppConfig):
    name = "apps.fx"
    label = "fx"
    verbose_name = "Exchange rates"

    def ready(self) -> None:
        from apps.core.imports import register_import

        register_import("fx_rates", "apps.fx.resources.FxRateImport")
