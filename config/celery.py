"""The Celery app. With no CELERY_BROKER_URL tasks run eagerly in-process (settings)."""

import os

from celery import Celery
from celery.schedules import crontab

os.environ.setdefault("DJANGO_SETTINGS_MODULE", "config.settings.local")

app = Celery("alliance")
app.config_from_object("django.conf:settings", namespace="CELERY")
app.autodiscover_tasks()


@app.on_after_finalize.connect
def _observe_tasks(sender: Celery, **kwargs: object) -> None:
    from apps.core.observability import connect_celery_metrics

    connect_celery_metrics()


# The nightly schedule: each entry fans out to one task per active tenant (tenant_id keyword).
# Days are tenant-local; the per-tenant tasks work out "yesterday" in the tenant's time zone.
app.conf.beat_schedule = {
    "daily-pipeline": {
        "task": "tenants.for_each_tenant",
        "schedule": crontab(minute=30, hour="*/1"),
        "args": ("tracking.run_daily_due",),
    },
    # today's provisional funnel by the nightly rules (issue 15; apps/tracking/services/intraday)
    "intraday-funnel": {
        "task": "tenants.for_each_tenant",
        "schedule": crontab(minute="*/5"),
        "args": ("tracking.provisional_rollup_due",),
        # a tick that waited longer than the next one is dropped, not run late
        "options": {"expires": 240},
    },
    # webhook and postback retries whose back-off is over (apps/integrations)
    "integrations-deliveries-due": {
        "task": "tenants.for_each_tenant",
        "schedule": crontab(minute="*"),
        "args": ("integrations.deliveries_due",),
    },
    # exchange rates of the tenant-local day (apps/fx; does nothing unless FX_RATES_PROVIDER)
    "fx-rates-fetch": {
        "task": "tenants.for_each_tenant",
        "schedule": crontab(minute=5, hour="*/1"),
        "args": ("fx.fetch_due",),
    },
    "monthly-settlements": {
        "task": "tenants.for_each_tenant",
        "schedule": crontab(minute=0, hour=6, day_of_month="1-3"),
        "args": ("commissions.generate_settlements_due",),
    },
    # After the night's pipeline (hourly at :30) and the statements (06:00 on days 1-3).
    "nightly-reconcile": {
        "task": "tenants.for_each_tenant",
        "schedule": crontab(minute=15, hour=7),
        "args": ("commissions.reconcile_due",),
    },
    # raw event partitions ahead, and retention (issue 19; apps/tracking/services/retention)
    "raw-events-maintain": {
        "task": "tracking.raw_events_maintain",
        "schedule": crontab(minute=45, hour=2),
    },
    "monthly-rebates": {
        "task": "tenants.for_each_tenant",
        "schedule": crontab(minute=0, hour=12, day_of_month="1-3"),
        "args": ("commissions.rebates_credit_due",),
    },
}
