"""The OpenAPI schema's error bodies: one ``Error`` component for every refusal.

drf-spectacular documents each view's success answers; this hook adds the answers every
partner endpoint shares (``apps/api/exceptions.py``): 400 ``{"code", "message", "extra"}`` with
``extra.fields`` naming each bad field (API.md v1.1 "Errors"), 401 and 403 for keys, and 409 for
a write the object's state refuses. schemathesis then checks those bodies against it too.
"""

from typing import Any

ERROR_COMPONENT = "Error"

ERROR_SCHEMA: dict[str, Any] = {
    "type": "object",
    "description": "Every refusal: a stable code, a message for people, and details.",
    "required": ["code", "message", "extra"],
    "properties": {
        "code": {"type": "string", "description": "Stable; switch on it."},
        "message": {"type": "string"},
        "extra": {
            "type": "object",
            "additionalProperties": True,
            "properties": {
                "fields": {
                    "type": "object",
                    "description": "Each field the refusal concerns, with its messages "
                    "(an item list's errors are keyed by position).",
                    "additionalProperties": {
                        "anyOf": [{"type": "array", "items": {}}, {"type": "object"}]
                    },
                },
            },
        },
    },
}

_REF = {"$ref": f"#/components/schemas/{ERROR_COMPONENT}"}

ANSWERS = {
    "400": "Invalid input or a business refusal; extra.fields names each field to fix.",
    "401": "No key, or a key that is not valid.",
    "403": "The key lacks the scope.",
}
WRITE_ANSWERS = {"409": "The object's state does not allow this (e.g. an ended plan)."}


def add_error_responses(result: dict[str, Any], **kwargs: Any) -> dict[str, Any]:
    """``POSTPROCESSING_HOOKS`` entry: the ``Error`` component and its answers on every
    operation (an operation's own declaration of a status wins)."""
    result.setdefault("components", {}).setdefault("schemas", {})[ERROR_COMPONENT] = ERROR_SCHEMA
    for path_item in result.get("paths", {}).values():
        for method, operation in path_item.items():
            answers = dict(ANSWERS)
            if method in {"post", "put", "patch", "delete"}:
                answers.update(WRITE_ANSWERS)
            responses = operation.setdefault("responses", {})
            for status, description in answers.items():
                responses.setdefault(
                    status,
                    {"description": description, "content": {"application/json": {"schema": _REF}}},
                )
    return result
