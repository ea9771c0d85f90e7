from apps.tracking.models import (
    BudgetExhaustion,
    CampaignDayStats,
    CampaignSpend,
    Click,
    Conversion,
    ConversionItem,
    Coupon,
    DailyRun,
    Impression,
    MerchantTrackingKey,
    PlacementDayStats,
    PlacementSubDayStats,
)
from tests.tenancy.harness import ENDPOINTS_WITHOUT_TENANT_DATA, register_model
from tests.tracking.factories import (
    BudgetExhaustionFactory,
    CampaignDayStatsFactory,
    CampaignSpendFactory,
    ClickFactory,
    ConversionFactory,
    ConversionItemFactory,
    CouponFactory,
    DailyRunFactory,
    ImpressionFactory,
    MerchantTrackingKeyFactory,
    PlacementDayStatsFactory,
    PlacementSubDayStatsFactory,
)

register_model(Click, make=lambda t: ClickFactory(tenant=t), search=lambda o: str(o.click_id))
register_model(Impression, make=lambda t: ImpressionFactory(tenant=t))
register_model(
    Conversion, make=lambda t: ConversionFactory(tenant=t), search=lambda o: o.external_id
)
register_model(ConversionItem, make=lambda t: ConversionItemFactory(tenant=t))
register_model(PlacementDayStats, make=lambda t: PlacementDayStatsFactory(tenant=t))
register_model(PlacementSubDayStats, make=lambda t: PlacementSubDayStatsFactory(tenant=t))
register_model(CampaignDayStats, make=lambda t: CampaignDayStatsFactory(tenant=t))
register_model(Coupon, make=lambda t: CouponFactory(tenant=t), search=lambda o: o.code)
register_model(
    MerchantTrackingKey,
    make=lambda t: MerchantTrackingKeyFactory(tenant=t),
    search=lambda o: o.hint,
)
register_model(CampaignSpend, make=lambda t: CampaignSpendFactory(tenant=t))
register_model(BudgetExhaustion, make=lambda t: BudgetExhaustionFactory(tenant=t))
register_model(DailyRun, make=lambda t: DailyRunFactory(tenant=t), search=lambda o: str(o.day))

# POST /api/v1/conversions has no object in its URL and lists nothing: the harness's two
# shapes (another tenant's id -> 404, a list without B's rows) do not fit it. Its cross-tenant
# rule is per event (API.md: another tenant's click_id -> "rejected"), proven in
# tests/tracking/test_conversions_api.py::TestCrossTenant.
ENDPOINTS_WITHOUT_TENANT_DATA.add("api:conversions")

# The block list (issue 14).
from apps.tracking.models import BlockRule  # noqa: E402
from tests.tracking.factories import BlockRuleFactory  # noqa: E402

register_model(BlockRule, make=lambda t: BlockRuleFactory(tenant=t), search=lambda o: o.value)

# Today's provisional roll-up (issue 15): no admin, no API of their own (/reports/daily reads
# them, already in the harness); the portal pages that show them are checked in tests/portal.
from apps.tracking.models import (  # noqa: E402
    ProvisionalCampaignDay,
    ProvisionalPlacementDay,
    ProvisionalPlacementSubDay,
    ProvisionalRun,
)
from tests.tracking.factories import (  # noqa: E402
    ProvisionalCampaignDayFactory,
    ProvisionalPlacementDayFactory,
    ProvisionalPlacementSubDayFactory,
    ProvisionalRunFactory,
)

register_model(ProvisionalPlacementDay, make=lambda t: ProvisionalPlacementDayFactory(tenant=t))
register_model(
    ProvisionalPlacementSubDay, make=lambda t: ProvisionalPlacementSubDayFactory(tenant=t)
)
register_model(ProvisionalCampaignDay, make=lambda t: ProvisionalCampaignDayFactory(tenant=t))
register_model(ProvisionalRun, make=lambda t: ProvisionalRunFactory(tenant=t))

# issue 19: the retention watermark
from apps.tracking.models import RawEventRetention  # noqa: E402


def _retention(t):
    import datetime

    from django.utils import timezone

    from apps.tenants.scope import tenant_scope

    with tenant_scope(t):
        return RawEventRetention.objects.create(
            tenant=t, purged_before=datetime.date(2026, 3, 1), purged_at=timezone.now()
        )


register_model(RawEventRetention, make=_retention)
