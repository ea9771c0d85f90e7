import datetime
from decimal import Decimal

from apps.fx.models import FxRate
from tests.factories import TenantOwnedFactory


class FxRateFactory(TenantOwnedFactory):
    class Meta:
        model = FxRate

    day = datetime.date(2026, 3, 2)
    base = "USD"
    quote = "CNY"
    rate = Decimal("7.20000000")
