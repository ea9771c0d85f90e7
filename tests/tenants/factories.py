import factory
from factory.django import DjangoModelFactory

from apps.tenants.models import Membership, Tenant, TenantDomain, User
from tests.factories import TenantOwnedFactory


class TenantFactory(DjangoModelFactory[Tenant]):
    class Meta:
        model = Tenant
        django_get_or_create = ("slug",)

    slug = factory.Sequence(lambda n: f"net{n}")
    name = factory.LazyAttribute(lambda o: f"Network {o.slug}")
    currency = "CNY"
    timezone = "Asia/Shanghai"


class TenantDomainFactory(DjangoModelFactory[TenantDomain]):
    class Meta:
        model = TenantDomain

    tenant = factory.SubFactory(TenantFactory)
    host = factory.LazyAttribute(lambda o: f"{o.tenant.slug}.example.com")


class UserFactory(DjangoModelFactory[User]):
    class Meta:
        model = User
        django_get_or_create = ("email",)
        skip_postgeneration_save = True

    email = factory.Sequence(lambda n: f"person{n}@example.com")
    name = factory.Faker("name")
    password = factory.PostGenerationMethodCall("set_password", "pass-w0rd-123")

    @factory.post_generation
    def verified(obj, create, extracted, **kwargs):  # noqa: N805
        from allauth.account.models import EmailAddress

        obj.save()
        if create:
            EmailAddress.objects.get_or_create(
                user=obj, email=obj.email, defaults={"verified": True, "primary": True}
            )


class MembershipFactory(TenantOwnedFactory):
    class Meta:
        model = Membership

    user = factory.SubFactory(UserFactory, is_staff=True)
    role = "tenant_admin"
