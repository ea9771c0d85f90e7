"""The webmaster's self-service forms: signup extras (allauth) and the profile."""

from typing import Any

from django import forms
from django.http import HttpRequest

from apps.affiliates.models import Affiliate, AffiliateKind


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
    """What a webmaster may edit of their own profile: contact and payout details."""

    class Meta:
        model = Affiliate
        fields = [
            "name",
            "kind",
            "company",
            "phone",
            "payout_method",
            "payout_account_name",
            "payout_account_number",
            "payout_bank",
        ]
