from django.apps import AppConfig


class TrackingConfig(AppConfig):
    name = "apps.tracking"
    label = "tracking"
    verbose_name = "Traffic and conversions"

    def ready(self) -> None:
        from apps.core.pipeline import register_daily_step
        from apps.core.reconcile import register_reconcile_check
        from apps.tenants.live import register_live_state_listener
        from apps.tracking.propagation import live_state_announce

        register_daily_step(10, "tracking.rollup", "apps.tracking.services.traffic_rollup_day")
        # the nightly figures replace the day's provisional ones (issue 15)
        register_daily_step(
            11,
            "tracking.provisional_clear",
            "apps.tracking.services.intraday.provisional_clear_day",
        )
        register_reconcile_check(15, "tracking.order_lines", "apps.tracking.reconcile.order_lines")
        # every commit that changes what /c/, /serve/ and /px/* serve reaches every process
        register_live_state_listener(live_state_announce)
