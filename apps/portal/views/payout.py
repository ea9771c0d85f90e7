"""The webmaster's payout details page (issue 14): where the money goes, masked on screen,
re-entered in full to change, validated and stored encrypted by ``payout_details_set``."""

from django.contrib import messages
from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.views.decorators.debug import sensitive_post_parameters, sensitive_variables

from apps.affiliates.forms import PayoutDetailsForm
from apps.affiliates.payouts import (
    PayoutDetailsError,
    payout_details_of,
    payout_details_set,
    payout_missing,
)
from apps.portal.views.webmaster import webmaster_required

SECRET_FIELDS = ("account_holder", "bank", "account_number", "tax_id")


@sensitive_post_parameters(*SECRET_FIELDS)
@sensitive_variables("form", "values")
@webmaster_required
def payout_details(request: HttpRequest) -> HttpResponse:
    affiliate = request.affiliate  # type: ignore[attr-defined]
    details = payout_details_of(affiliate)
    form = PayoutDetailsForm(
        request.POST or None, initial={"method": details.method if details else "bank_transfer"}
    )
    if request.method == "POST" and form.is_valid():
        values = form.cleaned_data
        try:
            payout_details_set(affiliate=affiliate, actor=request.user, **values)
        except PayoutDetailsError as exc:
            for field, problems in exc.fields.items():
                for problem in problems:
                    form.add_error(field if field in form.fields else None, problem)
        else:
            messages.success(
                request,
                "Your payout details are saved. We emailed you a confirmation of the change.",
            )
            return redirect("portal:webmaster-payout")
    return render(
        request,
        "portal/webmaster/payout.html",
        {
            "affiliate": affiliate,
            "details": details,
            "missing": payout_missing(details),
            "form": form,
        },
        status=400 if form.is_bound and form.errors else 200,
    )
