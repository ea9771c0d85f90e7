"""The webmaster's self-service forms: signup extras (allauth) and the profile."""

from typing import Any

from django import forms
from django.http import HttpRequest

from apps.affiliates.models import Affiliate, AffiliateKind, PayoutMethod


class WebmasterSignupForm(forms.Form):
    """Extra signup fields (``ACCOUNT_SIGNUP_FORM_CLASS``): allauth adds email and passwords.

    The name and kind wait in an ``AffiliateSignup`` until the address is verified."""

    name = forms.CharField(
        max_length=150,
        label="Your name or your site's name",
        widget=forms.TextInput(attrs={"autocomplete": "name"}),
    )
    kind = forms.ChoiceField(
        choices=AffiliateKind.choices, initial=AffiliateKind.WEBMASTER, label="You are"
    )

    def signup(self, request: HttpRequest, user: Any) -> None:
        from apps.affiliates.services import affiliate_signup_start

        user.name = self.cleaned_data["name"]
        user.save(update_fields=["name"])
        affiliate_signup_start(
            user=user, name=self.cleaned_data["name"], kind=self.cleaned_data["kind"]
        )


class AffiliateProfileForm(forms.ModelForm):
    """What a webmaster may edit of their own profile: contact details (payout details have
    their own page and form, ``PayoutDetailsForm``)."""

    class Meta:
        model = Affiliate
        fields = ["name", "kind", "company", "phone"]


class PayoutDetailsForm(forms.Form):
    """The webmaster's payout details. Nothing is pre-filled: the stored values are shown
    masked above the form and re-entered in full to change them (``payout_details_set``
    validates, encrypts and records)."""

    method = forms.ChoiceField(choices=PayoutMethod.choices, label="Paid by")
    account_holder = forms.CharField(
        max_length=150, label="Account holder", help_text="The name the account is held in."
    )
    bank = forms.CharField(
        max_length=150, required=False, label="Bank", help_text="For bank transfers."
    )
    account_number = forms.CharField(
        max_length=64,
        label="Account number, IBAN or Alipay/PayPal account",
        widget=forms.TextInput(attrs={"autocomplete": "off"}),
    )
    tax_id = forms.CharField(
        max_length=40,
        label="Tax id",
        help_text="Unified Social Credit Code, resident identity number, VAT number or your "
        "country's tax number.",
        widget=forms.TextInput(attrs={"autocomplete": "off"}),
    )
