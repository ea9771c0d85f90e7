"""The registry of bulk-import resources (API.md "Import formats").

A resource is a django-import-export ``Resource`` class for one RESOURCE name of
``import_data`` (``merchants``, ``affiliates``, ``products``, ``commission_rules``). The app
that owns the rows registers it from its ``AppConfig.ready()``:

    register_import("merchants", "apps.campaigns.resources.MerchantResource")

``import_data`` and the admin's import page look resources up here, so both accept the same
formats. Resources report a bad cell by raising ``ValidationError({"column": "message"})``
and write rows through their app's services.
"""

from django.utils.module_loading import import_string

_IMPORTS: dict[str, str] = {}


def register_import(name: str, resource_path: str) -> None:
    _IMPORTS[name] = resource_path


def import_names() -> list[str]:
    return sorted(_IMPORTS)


def import_resource_class(name: str) -> type:
    try:
        return import_string(_IMPORTS[name])
    except KeyError:
        known = ", ".join(import_names()) or "none"
        raise LookupError(f"Unknown resource {name!r}; use one of: {known}.") from None
