from apps.api.models import ApiKey
from tests.api.factories import issue_key
from tests.campaigns.factories import MerchantFactory
from tests.tenancy.harness import register_model


def _api_key(tenant):
    return issue_key(MerchantFactory(tenant=tenant)).api_key


register_model(ApiKey, make=_api_key, search=lambda o: o.prefix)
