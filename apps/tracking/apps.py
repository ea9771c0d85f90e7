from django.apps import AppConfig


class TrackingConfig(AppConfig):
    name = "apps.tracking"
    label = "tracking"
    verbose_name = "Traffic and conversions"

    def ready(self) -> None:
        from apps.core.pipeline import register_daily_step

        register_daily_step(10, "tracking.rollup", "apps.tracking.services.traffic_rollup_day")
