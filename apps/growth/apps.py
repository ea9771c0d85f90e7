from django.apps import AppConfig


class GrowthConfig(AppConfig):
    name = "apps.growth"
    label = "growth"
    verbose_name = "Merchant growth tools"

    def ready(self) -> None:
        from apps.core.pipeline import register_daily_step

        # After the roll-up (10) has charged the day; before earnings read anything of ours.
        register_daily_step(
            15, "growth.clearing_prices", "apps.growth.clearing.clearing_rollup_day"
        )
        # After tagging (60), on the same 30-day window, so a cold-start product is untagged.
        register_daily_step(65, "growth.lifecycle", "apps.growth.lifecycle.lifecycle_step")
