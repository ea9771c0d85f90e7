from apps.fx.models import FxRate
from tests.fx.factories import FxRateFactory
from tests.tenancy.harness import register_model

register_model(FxRate, make=lambda t: FxRateFactory(tenant=t), search=lambda o: o.base)
