from apps.api.services import IssuedKey, api_key_create
from apps.tenants.scope import tenant_scope


def issue_key(principal: object, scopes: list[str] | None = None) -> IssuedKey:
    """An API key for a merchant or webmaster, created in its own tenant's scope."""
    from apps.campaigns.models import Merchant

    with tenant_scope(principal.tenant):  # type: ignore[attr-defined]
        if isinstance(principal, Merchant):
            return api_key_create(merchant=principal, scopes=scopes)
        return api_key_create(affiliate=principal, scopes=scopes)


def bearer(issued: IssuedKey) -> dict[str, str]:
    return {"HTTP_AUTHORIZATION": f"Bearer {issued.plaintext}"}
