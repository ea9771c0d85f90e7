from apps.integrations.models import (
    Delivery,
    DeliveryAttempt,
    Event,
    PostbackTemplate,
    WebhookEndpoint,
)
from apps.tracking.models import Coupon
from tests.integrations.factories import (
    DeliveryAttemptFactory,
    DeliveryFactory,
    EventFactory,
    PostbackTemplateFactory,
    WebhookEndpointFactory,
)
from tests.tenancy.harness import register_endpoint, register_model

register_model(
    WebhookEndpoint, make=lambda t: WebhookEndpointFactory(tenant=t), search=lambda o: o.url
)
register_model(
    PostbackTemplate,
    make=lambda t: PostbackTemplateFactory(tenant=t),
    search=lambda o: o.url_template,
)
register_model(Event, make=lambda t: EventFactory(tenant=t), search=lambda o: str(o.event_id))
register_model(
    Delivery, make=lambda t: DeliveryFactory(tenant=t), search=lambda o: str(o.event.event_id)
)
register_model(DeliveryAttempt, make=lambda t: DeliveryAttemptFactory(tenant=t))

# Webhooks answer merchant and webmaster keys alike; the harness runs them with a merchant
# key (tests/integrations/test_api.py covers webmaster keys and other principals).
register_endpoint(
    "api:webhooks", principal="merchant", model=WebhookEndpoint, owner=lambda o: o.merchant
)
register_endpoint(
    "api:webhook-detail",
    principal="merchant",
    model=WebhookEndpoint,
    kwargs=lambda o: {"pk": o.pk},
    owner=lambda o: o.merchant,
)
register_endpoint(
    "api:webhook-rotate",
    principal="merchant",
    model=WebhookEndpoint,
    kwargs=lambda o: {"pk": o.pk},
    owner=lambda o: o.merchant,
    method="post",
)
register_endpoint(
    "api:webhook-deliveries",
    principal="merchant",
    model=Delivery,
    kwargs=lambda o: {"pk": o.endpoint_id},
    owner=lambda o: o.endpoint.merchant,
)
register_endpoint(
    "api:webhook-delivery-replay",
    principal="merchant",
    model=Delivery,
    kwargs=lambda o: {"pk": o.endpoint_id, "delivery_id": o.pk},
    owner=lambda o: o.endpoint.merchant,
    method="post",
)
register_endpoint(
    "api:coupons",
    principal="merchant",
    model=Coupon,
    owner=lambda o: o.merchant,
    identify=lambda o: o.code,
    id_field="code",
)
register_endpoint(
    "api:coupon-delete",
    principal="merchant",
    model=Coupon,
    kwargs=lambda o: {"code": o.code},
    owner=lambda o: o.merchant,
    method="delete",
)
