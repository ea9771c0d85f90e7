"""The optional scheduled fetch of exchange rates (off unless ``FX_RATES_PROVIDER`` is set)."""

from typing import Any

from apps.tenants.clock import tenant_today
from apps.tenants.tasks import tenant_task


@tenant_task("fx.fetch_due", max_retries=3)
def fx_fetch_due(self: Any, *, tenant_id: int) -> dict:
    """Hourly (beat): today's rates (tenant-local) from the provider; nothing when it is off."""
    from apps.fx.services import fx_rates_fetch

    return fx_rates_fetch(day=tenant_today())
