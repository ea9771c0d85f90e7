"""Refusals of the billing services."""

from apps.core.errors import DomainError, NotPermittedError, StateConflictError


class InvoiceError(DomainError):
    """An invoice action was refused (an open period, a missing reason or reference)."""

    code = "invoice_error"
    PERIOD_OPEN = "invoice_period_open"
    REASON_REQUIRED = "invoice_reason_required"
    REFERENCE_REQUIRED = "invoice_payment_reference_required"


class InvoiceStateError(StateConflictError):
    """The invoice's status does not allow the action."""

    code = "invoice_state"
    STALE = "invoice_stale"
    FX_RATE = "invoice_fx_rate_missing"


class InvoiceFourEyesError(NotPermittedError):
    code = "invoice_four_eyes"


class DepositError(DomainError):
    code = "deposit_error"
    AMOUNT = "deposit_amount"
    REFERENCE = "deposit_reference"


class BillingTermsError(DomainError):
    """A change of a merchant's billing terms was refused (a bad fee, no reason), or needs the
    person's confirmation first because it changes an open (draft) invoice."""

    code = "billing_terms_error"
    FEE = "billing_terms_fee"
    REASON_REQUIRED = "billing_terms_reason_required"
    OPEN_INVOICES = "billing_terms_open_invoices"
