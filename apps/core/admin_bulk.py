"""A confirmation step for bulk admin actions (STYLE "bulk actions with a confirmation step").

An action calls :func:`confirm_step` first; on the first POST (from the changelist) it answers
a page listing the selected rows with the action's extra fields; the page posts back with
``post=yes`` and the action then runs with the bound form's ``cleaned_data``::

    @admin.action(description="Suspend selected webmasters", permissions=["change"])
    def suspend(self, request, queryset):
        step = confirm_step(self, request, queryset, action="suspend", question=...,
                            submit_label="Suspend", form_class=ReasonForm)
        if step.response is not None:
            return step.response
        for affiliate in queryset:
            self.run_service(request, affiliate_suspend, affiliate=affiliate, ...)
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from django import forms
from django.contrib.admin import helpers
from django.db.models import QuerySet
from django.http import HttpRequest
from django.template.response import TemplateResponse
from django.urls import reverse

TEMPLATE = "admin/bulk/confirm.html"


@dataclass
class ConfirmStep:
    #: the confirmation page to answer, or ``None`` once confirmed (and the form is valid)
    response: TemplateResponse | None
    cleaned_data: dict[str, Any]


def confirm_step(
    model_admin: Any,
    request: HttpRequest,
    queryset: QuerySet[Any],
    *,
    action: str,
    question: str,
    submit_label: str,
    form_class: type[forms.Form] | None = None,
    form_kwargs: dict[str, Any] | None = None,
) -> ConfirmStep:
    confirmed = request.POST.get("post") == "yes"
    form = None
    if form_class is not None:
        form = form_class(request.POST if confirmed else None, **(form_kwargs or {}))
    if confirmed and (form is None or form.is_valid()):
        return ConfirmStep(response=None, cleaned_data=form.cleaned_data if form else {})
    page = confirm_page(
        model_admin,
        request,
        list(queryset),
        action=action,
        question=question,
        submit_label=submit_label,
        form=form,
    )
    return ConfirmStep(response=page, cleaned_data={})


def confirm_page(
    model_admin: Any,
    request: HttpRequest,
    objects: list[Any],
    *,
    action: str,
    question: str,
    submit_label: str,
    form: forms.Form | None = None,
) -> TemplateResponse:
    """The confirmation page itself: ``objects`` listed, ``form``'s fields, a submit that
    posts ``action`` back for the selected rows, and a way back to the changelist."""
    opts = model_admin.model._meta
    context = {
        **model_admin.admin_site.each_context(request),
        "opts": opts,
        "title": question,
        "question": question,
        "objects": objects,
        "form": form,
        "action": action,
        "action_checkbox_name": helpers.ACTION_CHECKBOX_NAME,
        "submit_label": submit_label,
        "cancel_url": reverse(f"admin:{opts.app_label}_{opts.model_name}_changelist"),
    }
    return TemplateResponse(request, TEMPLATE, context)
