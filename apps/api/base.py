"""Base classes for every partner API view.

Reads go through ``TenantListApi``/``TenantDetailApi``, whose ``get_queryset`` is final and
calls the view's selector with the key's principal; writes go through ``TenantApiView`` with
an input serializer and one service call. Another tenant's or principal's id is a 404.
"""

from typing import Any, ClassVar

from django.db.models import QuerySet
from django.http import Http404
from rest_framework import exceptions
from rest_framework.generics import GenericAPIView
from rest_framework.request import Request
from rest_framework.views import APIView

from apps.api.models import ApiKey


class TenantApiView(APIView):
    #: "merchant" or "affiliate": whose keys may call this endpoint
    principal: ClassVar[str | None] = None
    #: scopes by HTTP method, e.g. {"GET": ["sites:read"], "POST": ["sites:write"]}
    required_scopes: ClassVar[dict[str, list[str]]] = {}

    def required_scopes_for(self, method: str) -> list[str]:
        if method in {"HEAD", "OPTIONS"}:
            method = "GET"
        return self.required_scopes.get(method, [])

    def initial(self, request: Request, *args: Any, **kwargs: Any) -> None:
        super().initial(request, *args, **kwargs)
        # The middleware entered the host's tenant; the key must belong to that same tenant.
        # (Authentication already looked the key up inside that scope; this is the last check.)
        tenant = getattr(request._request, "tenant", None)
        if (
            tenant is None
            or not isinstance(request.auth, ApiKey)
            or request.auth.tenant_id != tenant.pk
        ):
            raise exceptions.NotAuthenticated()

    @property
    def api_key(self) -> ApiKey:
        return self.request.auth  # type: ignore[return-value]

    @property
    def merchant(self) -> Any:
        return self.api_key.merchant

    @property
    def affiliate(self) -> Any:
        return self.api_key.affiliate


class TenantReadApi(TenantApiView, GenericAPIView):
    """Subclasses implement ``selector(self) -> QuerySet`` and never ``get_queryset``."""

    lookup_url_kwarg = "pk"

    def __init_subclass__(cls, **kwargs: Any) -> None:
        super().__init_subclass__(**kwargs)
        if "get_queryset" in cls.__dict__:
            raise TypeError(f"{cls.__name__}: implement selector(), not get_queryset()")

    def selector(self) -> QuerySet[Any]:
        raise NotImplementedError

    def get_queryset(self) -> QuerySet[Any]:
        queryset = self.selector()
        # Belt and braces: the selector is already scoped; never serve another tenant's row.
        return queryset.filter(tenant_id=self.api_key.tenant_id)

    def get_object(self) -> Any:
        try:
            return super().get_object()
        except (ValueError, TypeError) as exc:
            raise Http404 from exc
