"""Factory bases: a tenant-owned row is always created inside its own tenant's scope."""

from typing import Any

import factory
from factory.django import DjangoModelFactory

from apps.tenants.scope import tenant_scope


class TenantOwnedFactory(DjangoModelFactory):
    """Creates the row in ``tenant_scope(tenant)`` so both walls accept it, like production
    code would. Child factories take their parent's tenant with ``SelfAttribute``."""

    class Meta:
        abstract = True

    tenant = factory.SubFactory("tests.tenants.factories.TenantFactory")

    @classmethod
    def _create(cls, model_class: Any, *args: Any, **kwargs: Any) -> Any:
        with tenant_scope(kwargs["tenant"]):
            return super()._create(model_class, *args, **kwargs)
