"""Form widgets the portal's pages share.

One date format everywhere (issue 15): days are typed and shown as ``YYYY-MM-DD`` and times as
``YYYY-MM-DD HH:MM`` in the network's zone, whatever the browser's locale. A browser's own date
picker (``type="date"``) shows the locale's format (``03/02/2026`` in the US) beside the ISO
text the pages print, so the portal uses plain text inputs with the format as placeholder and
pattern instead.
"""

from typing import Any

from django import forms

DAY_PATTERN = r"\d{4}-\d{2}-\d{2}"
MOMENT_PATTERN = r"\d{4}-\d{2}-\d{2}[ T]\d{2}:\d{2}"
DAY_FORMAT = "%Y-%m-%d"
MOMENT_FORMAT = "%Y-%m-%d %H:%M"
MOMENT_INPUT_FORMATS = [MOMENT_FORMAT, "%Y-%m-%dT%H:%M", "%Y-%m-%d %H:%M:%S"]


class DayInput(forms.DateInput):
    """``YYYY-MM-DD`` in a text box."""

    def __init__(self, attrs: dict[str, Any] | None = None) -> None:
        base = {
            "placeholder": "YYYY-MM-DD",
            "pattern": DAY_PATTERN,
            "inputmode": "numeric",
            "size": "10",
            "autocomplete": "off",
        }
        super().__init__(attrs={**base, **(attrs or {})}, format=DAY_FORMAT)


class MomentInput(forms.DateTimeInput):
    """``YYYY-MM-DD HH:MM`` (the network's local time) in a text box."""

    def __init__(self, attrs: dict[str, Any] | None = None) -> None:
        base = {
            "placeholder": "YYYY-MM-DD HH:MM",
            "pattern": MOMENT_PATTERN,
            "size": "16",
            "autocomplete": "off",
        }
        super().__init__(attrs={**base, **(attrs or {})}, format=MOMENT_FORMAT)
