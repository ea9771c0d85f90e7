import factory

from apps.integrations import crypto
from apps.integrations.models import (
    Delivery,
    DeliveryAttempt,
    Event,
    PostbackTemplate,
    WebhookEndpoint,
)
from tests.affiliates.factories import AffiliateFactory
from tests.campaigns.factories import MerchantFactory
from tests.factories import TenantOwnedFactory

SECRET = "whsec_factory-secret"


class WebhookEndpointFactory(TenantOwnedFactory):
    class Meta:
        model = WebhookEndpoint

    merchant = factory.SubFactory(MerchantFactory, tenant=factory.SelfAttribute("..tenant"))
    url = factory.Sequence(lambda n: f"https://hooks{n}.partner.example/alliance")
    events = ["conversion.created"]
    secret_encrypted = factory.LazyFunction(lambda: crypto.secret_encrypt(SECRET))
    secret_hint = crypto.secret_hint(SECRET)


class PostbackTemplateFactory(TenantOwnedFactory):
    class Meta:
        model = PostbackTemplate

    affiliate = factory.SubFactory(AffiliateFactory, tenant=factory.SelfAttribute("..tenant"))
    url_template = factory.Sequence(lambda n: f"https://tracker{n}.example/pb?cid={{click_id}}")
    events = ["conversion.created"]


class EventFactory(TenantOwnedFactory):
    class Meta:
        model = Event

    type = "conversion.created"
    data = factory.Sequence(lambda n: {"id": n})


class DeliveryFactory(TenantOwnedFactory):
    class Meta:
        model = Delivery

    event = factory.SubFactory(EventFactory, tenant=factory.SelfAttribute("..tenant"))
    endpoint = factory.SubFactory(WebhookEndpointFactory, tenant=factory.SelfAttribute("..tenant"))
    dedupe_key = factory.LazyAttribute(lambda o: str(o.event.event_id))
    body = "{}"


class DeliveryAttemptFactory(TenantOwnedFactory):
    class Meta:
        model = DeliveryAttempt

    delivery = factory.SubFactory(DeliveryFactory, tenant=factory.SelfAttribute("..tenant"))
    number = 1
    url = "https://hooks.partner.example/alliance"
    status_code = 500
