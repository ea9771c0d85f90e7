from apps.sites.models import Contract, Placement, Site
from tests.sites.factories import ContractFactory, PlacementFactory, SiteFactory
from tests.tenancy.harness import register_endpoint, register_model

register_model(Site, make=lambda t: SiteFactory(tenant=t), search=lambda o: o.url)
register_model(Placement, make=lambda t: PlacementFactory(tenant=t), search=lambda o: o.code)
register_model(
    Contract, make=lambda t: ContractFactory(tenant=t), search=lambda o: o.placement.code
)

register_endpoint("api:sites", principal="affiliate", model=Site, owner=lambda site: site.affiliate)
register_endpoint(
    "api:placements",
    principal="affiliate",
    model=Placement,
    identify=lambda placement: placement.code,
    id_field="code",
    owner=lambda placement: placement.site.affiliate,
)
