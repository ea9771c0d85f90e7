"""Payout details: validation, the one write, masked reads for staff, decrypted reads for the
bank export (issue 14).

A webmaster enters them in the portal; nobody else writes them. Rules:

- account holder: required (2-150 characters);
- bank transfer: the bank's name and an account number; a number that starts with two letters
  is an IBAN and must pass the IBAN checksum and its country's format (``python-stdnum``),
  any other is a domestic account number of 6-34 digits (spaces and dashes ignored);
- Alipay: the Alipay account, an email address or a mobile number; PayPal: an email address;
- tax id: required. 18 characters is a Chinese Unified Social Credit Code or resident identity
  number and must pass its checksum; one that starts with an EU country code is a VAT number
  and must pass that country's checksum; otherwise 5-30 letters, digits, dots, dashes or
  slashes.

Every change is stored encrypted (``apps.core.crypto``), recorded in history as the masked
summary with who changed it, and confirmed by email to the webmaster's address once the
transaction commits (a changed payout account is the classic way to steal a payout: the
owner hears of it at once). Values never go to logs: the service logs nothing of them and the
portal view marks the POST parameters sensitive.
"""

from __future__ import annotations

import re
from collections.abc import Iterable
from dataclasses import dataclass
from typing import Any

from django.conf import settings
from django.core.exceptions import ValidationError
from django.core.mail import send_mail
from django.core.validators import validate_email
from django.db import transaction
from django.template.loader import render_to_string
from stdnum import iban
from stdnum.cn import ric, uscc
from stdnum.eu import vat
from stdnum.exceptions import ValidationError as NumberError

from apps.affiliates.errors import AffiliateError
from apps.affiliates.models import Affiliate, PayoutDetails, PayoutMethod
from apps.core.crypto import decrypt_text, encrypt_text, mask_name, mask_tail
from apps.core.history import history_note
from apps.tenants.scope import current_tenant

PURPOSE = "payout"
FIELDS = ("account_holder", "bank", "account_number", "tax_id")
LABELS = {
    "method": "payout method",
    "account_holder": "account holder",
    "bank": "bank",
    "account_number": "account number",
    "tax_id": "tax id",
}
_DIGITS = re.compile(r"^\d{6,34}$")
_MOBILE = re.compile(r"^(\+?86)?1[3-9]\d{9}$")
_TAX_ID = re.compile(r"^[A-Z0-9./-]{5,30}$")


class PayoutDetailsError(AffiliateError):
    code = "payout_details_invalid"


@dataclass(frozen=True)
class Payout:
    """Decrypted details of one webmaster (the bank export only)."""

    method: str
    method_label: str
    account_holder: str
    bank: str
    account_number: str
    tax_id: str
    is_complete: bool


def _compact(value: str) -> str:
    return re.sub(r"[\s-]+", "", value or "").upper()


def _clean_account(method: str, bank: str, number: str, errors: dict[str, list[str]]) -> str:
    raw = (number or "").strip()
    if method == PayoutMethod.BANK_TRANSFER:
        if not bank:
            errors.setdefault("bank", []).append("Give the bank's name.")
        compact = _compact(raw)
        if not compact:
            errors.setdefault("account_number", []).append("Give the account number or IBAN.")
        elif compact[:2].isalpha():
            try:
                return iban.validate(compact)
            except NumberError:
                errors.setdefault("account_number", []).append(
                    "This IBAN is not valid (its checksum or length does not match its country)."
                )
        elif not _DIGITS.match(compact):
            errors.setdefault("account_number", []).append(
                "An account number is 6 to 34 digits (or an IBAN, starting with its country)."
            )
        return compact
    if not raw:
        errors.setdefault("account_number", []).append(
            "Give your Alipay account (email or mobile number)."
            if method == PayoutMethod.ALIPAY
            else "Give your PayPal email address."
        )
        return raw
    try:
        validate_email(raw)
    except ValidationError:
        if method == PayoutMethod.ALIPAY and _MOBILE.match(_compact(raw)):
            return _compact(raw)
        errors.setdefault("account_number", []).append(
            "An Alipay account is an email address or a mobile number."
            if method == PayoutMethod.ALIPAY
            else "A PayPal account is an email address."
        )
        return raw
    return raw.lower()


def _clean_tax_id(value: str, errors: dict[str, list[str]]) -> str:
    compact = _compact(value)
    if not compact:
        errors.setdefault("tax_id", []).append("Give your tax id.")
        return compact
    if len(compact) == 18 and (uscc.is_valid(compact) or ric.is_valid(compact)):
        return compact
    if len(compact) == 18 and compact[:17].isalnum():
        errors.setdefault("tax_id", []).append(
            "This is not a valid Unified Social Credit Code or resident identity number "
            "(its check character does not match)."
        )
        return compact
    if compact[:2].lower() in vat.MEMBER_STATES or compact[:2] == "EL":
        if not vat.is_valid(compact):
            errors.setdefault("tax_id", []).append(
                "This EU VAT number is not valid (its checksum does not match)."
            )
        return compact
    if not _TAX_ID.match(compact):
        errors.setdefault("tax_id", []).append(
            "A tax id is 5 to 30 letters, digits, dots, dashes or slashes."
        )
    return compact


def _summary(method: str, holder: str, bank: str, number: str, tax_id: str) -> str:
    parts = [PayoutMethod(method).label]
    if bank:
        parts.append(bank)
    parts += [mask_name(holder), mask_tail(number)]
    if tax_id:
        parts.append(f"tax id {mask_tail(tax_id)}")
    return " · ".join(part for part in parts if part)


def payout_details_set(
    *,
    affiliate: Affiliate,
    method: str,
    account_holder: str,
    bank: str,
    account_number: str,
    tax_id: str,
    actor: Any,
) -> PayoutDetails:
    """Validate and store a webmaster's payout details (see the module's rules).

    Refuses with ``PayoutDetailsError`` naming every bad field (``extra.fields``), changing
    nothing. Saving the same details again is a no-op (no history row, no email)."""
    errors: dict[str, list[str]] = {}
    if method not in PayoutMethod.values:
        errors["method"] = [f"Choose one of: {', '.join(PayoutMethod.labels)}."]
        method = PayoutMethod.BANK_TRANSFER
    holder = " ".join((account_holder or "").split())
    if len(holder) < 2:
        errors["account_holder"] = ["Give the account holder's full name."]
    bank = " ".join((bank or "").split()) if method == PayoutMethod.BANK_TRANSFER else ""
    number = _clean_account(method, bank, account_number, errors)
    tax = _clean_tax_id(tax_id, errors)
    if len(holder) > 150 or len(bank) > 150:
        errors.setdefault("bank" if len(bank) > 150 else "account_holder", []).append(
            "At most 150 characters."
        )
    if errors:
        names = ", ".join(LABELS[field] for field in errors)
        raise PayoutDetailsError(
            f"The payout details are not complete or not valid: {names}.", fields=errors
        )
    wanted = {"account_holder": holder, "bank": bank, "account_number": number, "tax_id": tax}
    with transaction.atomic():
        details = PayoutDetails.objects.select_for_update().filter(
            affiliate=affiliate
        ).first() or PayoutDetails(tenant=current_tenant(), affiliate=affiliate)
        if details.pk is not None and details.method == method and _decrypted(details) == wanted:
            return details
        details.method = method
        for field, value in wanted.items():
            setattr(details, f"{field}_encrypted", encrypt_text(value, purpose=PURPOSE))
        details.summary = _summary(method, holder, bank, number, tax)
        details.is_complete = True
        details.changed_by = actor if getattr(actor, "pk", None) else None
        history_note(details, details.changed_by, "payout details changed by the webmaster")
        details.save()
        _confirm_by_email(affiliate=affiliate, details=details)
    return details


def _decrypted(details: PayoutDetails) -> dict[str, str]:
    return {
        field: decrypt_text(getattr(details, f"{field}_encrypted"), purpose=PURPOSE)
        for field in FIELDS
    }


def _confirm_by_email(*, affiliate: Affiliate, details: PayoutDetails) -> None:
    if not affiliate.email:
        return
    context = {"affiliate": affiliate, "tenant": current_tenant(), "summary": details.summary}
    subject = render_to_string("email/affiliates/payout_changed_subject.txt", context).strip()
    body = render_to_string("email/affiliates/payout_changed_body.txt", context)
    recipient = affiliate.email
    transaction.on_commit(
        lambda: send_mail(subject, body, settings.DEFAULT_FROM_EMAIL, [recipient])
    )


# --- reads ---------------------------------------------------------------------------------


def payout_details_of(affiliate: Affiliate) -> PayoutDetails | None:
    return PayoutDetails.objects.filter(affiliate=affiliate).first()


def payout_missing(details: PayoutDetails | None) -> str:
    """Why a webmaster cannot be paid ('' when nothing is missing)."""
    if details is None:
        return "no payout details entered"
    if not details.is_complete:
        return "payout details incomplete"
    return ""


def payouts_for_export(affiliate_ids: Iterable[int]) -> dict[int, Payout]:
    """Decrypted details of these webmasters (one query); the bank export's only source."""
    out: dict[int, Payout] = {}
    for details in PayoutDetails.objects.filter(affiliate_id__in=set(affiliate_ids)):
        values = _decrypted(details)
        out[details.affiliate_id] = Payout(
            method=details.method,
            method_label=details.get_method_display(),
            is_complete=details.is_complete,
            **values,
        )
    return out


def payout_masked_for(affiliate_ids: Iterable[int]) -> dict[int, PayoutDetails]:
    """Masked summaries for staff pages (one query, nothing decrypted)."""
    return {
        row.affiliate_id: row
        for row in PayoutDetails.objects.filter(affiliate_id__in=set(affiliate_ids)).only(
            "affiliate_id", "method", "summary", "is_complete", "updated_at"
        )
    }
