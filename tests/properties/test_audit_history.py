"""Audit (issue 8): every change to contracts, commission rules, statements, claims and
disputes shows in the back office's history with who made it and when."""

import pytest
from django.contrib import admin

from apps.commissions.models import CommissionRule, Statement
from apps.disputes.models import Claim, Dispute
from apps.sites.models import Contract
from tests.commissions.factories import CommissionRuleFactory, StatementFactory
from tests.conftest import client_for, make_staff
from tests.disputes.factories import ClaimFactory, DisputeFactory
from tests.sites.factories import ContractFactory

pytestmark = pytest.mark.django_db

AUDITED = [
    (Contract, ContractFactory, "terminated_reason", "Webmaster asked to end it"),
    (CommissionRule, CommissionRuleFactory, "priority", 7),
    (Statement, StatementFactory, "returned_reason", "Missing bank details"),
    (Claim, ClaimFactory, "note", "Added the campaign report"),
    (Dispute, DisputeFactory, "note", "Order placed from the newsletter link"),
]


@pytest.mark.parametrize(("model", "factory", "field", "value"), AUDITED)
def test_changes_show_in_admin_history_with_who_and_when(tenant, model, factory, field, value):
    # given a staff member who changes an audited row
    staff = make_staff(tenant, email=f"auditor-{model._meta.model_name}@example.com")
    obj = factory(tenant=tenant)
    obj = model.objects.get(pk=obj.pk)
    setattr(obj, field, value)
    obj._history_user = staff  # what HistoryRequestMiddleware sets for a request
    obj.save()
    history = list(obj.history.order_by("history_date"))
    # then the history has the change, by that person, with its time
    assert [h.history_type for h in history][-1] == "~"
    assert history[-1].history_user == staff
    assert history[-1].history_date is not None
    # and the back office shows it on the object's history page
    assert model in admin.site._registry
    url = f"/admin/{model._meta.app_label}/{model._meta.model_name}/{obj.pk}/history/"
    response = client_for(tenant, make_staff(tenant)).get(url)
    assert response.status_code == 200
    assert staff.email in response.content.decode()


@pytest.mark.parametrize(("model", "factory", "field", "value"), AUDITED)
def test_another_tenants_history_is_404(tenant, other_tenant, model, factory, field, value):
    theirs = factory(tenant=other_tenant)
    url = f"/admin/{model._meta.app_label}/{model._meta.model_name}/{theirs.pk}/history/"
    assert client_for(tenant, make_staff(tenant)).get(url).status_code == 404
