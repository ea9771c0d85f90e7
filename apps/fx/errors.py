from apps.core.errors import DomainError


class FxError(DomainError):
    code = "fx_error"


class FxRateMissingError(FxError):
    """No exchange rate for the day: never a silent 1.0 (issue 17). Names ``currency``."""

    code = "fx_rate_missing"
