from django.apps import AppConfig


class TrackingConfig(AppConfig):
    name = "apps.tracking"
    label = "tracking"
    verbose_name = "Traffic and conversions"

    def ready(self) -> None:
        from apps.core.pipeline import register_daily_step
        from apps.core.reconcile import register_reconcile_check

        register_daily_step(10, "tracking.rollup", "apps.tracking.services.traffic_rollup_day")
        register_reconcile_check(15, "tracking.order_lines", "apps.tracking.reconcile.order_lines")
