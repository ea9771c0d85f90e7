"""``TenantAdmin``: the base of every back-office page on tenant data.

It narrows every queryset (lists, autocomplete, foreign-key choices) to the request's tenant,
answers another tenant's ids with 404, sets ``tenant`` on new rows, and grants view/add/change/
delete by staff role instead of Django's global permission tables (a person can be finance in
one network and nothing in another).
"""

import json
from collections.abc import Callable, Iterable
from typing import Any

from django.contrib import messages
from django.contrib.admin.options import IncorrectLookupParameters
from django.contrib.auth import get_user_model
from django.core.exceptions import EmptyResultSet, FieldDoesNotExist, ValidationError
from django.core.paginator import Paginator
from django.db import connections, models
from django.db.models import QuerySet
from django.http import Http404, HttpRequest
from django.utils.functional import cached_property
from unfold.admin import ModelAdmin as UnfoldModelAdmin
from unfold.admin import StackedInline as UnfoldStackedInline
from unfold.admin import TabularInline as UnfoldTabularInline
from unfold.views import ChangeList as UnfoldChangeList

from apps.core import display
from apps.core.admin_site import is_tenant_model, staff_roles_for
from apps.core.errors import DomainError
from apps.core.roles import ADMINS, ALL_STAFF, NOBODY


def environment_badge(request: HttpRequest) -> list[str] | None:
    from django.conf import settings

    if settings.DEBUG:
        return ["Development", "warning"]
    return None


class _TenantScopedFormFieldsMixin:
    """Foreign-key and many-to-many choices only ever list the request tenant's rows."""

    def formfield_for_foreignkey(self, db_field: Any, request: HttpRequest, **kwargs: Any) -> Any:
        queryset = _tenant_choices(db_field.remote_field.model, request)
        if queryset is not None:
            kwargs["queryset"] = queryset
        return super().formfield_for_foreignkey(db_field, request, **kwargs)  # type: ignore[misc]

    def formfield_for_manytomany(self, db_field: Any, request: HttpRequest, **kwargs: Any) -> Any:
        queryset = _tenant_choices(db_field.remote_field.model, request)
        if queryset is not None:
            kwargs["queryset"] = queryset
        return super().formfield_for_manytomany(db_field, request, **kwargs)  # type: ignore[misc]


def _tenant_choices(model: type[models.Model], request: HttpRequest) -> QuerySet[Any] | None:
    tenant = getattr(request, "tenant", None)
    if tenant is None:
        return None
    if is_tenant_model(model):
        return model._default_manager.filter(tenant=tenant)
    User = get_user_model()  # noqa: N806
    if model is User:
        # People are global; a back-office choice lists only this network's staff.
        return User.objects.filter(
            memberships__tenant=tenant, memberships__is_active=True
        ).distinct()
    return None


def planner_estimate(queryset: QuerySet[Any]) -> int:
    """PostgreSQL's estimate of how many rows ``queryset`` returns (``EXPLAIN``, no scan)."""
    query = queryset.order_by().values("pk")
    try:
        sql, params = query.query.sql_with_params()
    except EmptyResultSet:  # ``queryset.none()``, e.g. a filter given a day that is no day
        return 0
    with connections[queryset.db].cursor() as cursor:
        cursor.execute("EXPLAIN (FORMAT JSON) " + sql, params)
        plan = cursor.fetchone()[0]
    if isinstance(plan, str):
        plan = json.loads(plan)
    return int(plan[0]["Plan"]["Plan Rows"])


class EstimatedCount(int):
    """A row count that is PostgreSQL's estimate; ``is_estimated`` tells the template."""

    is_estimated = True


class EstimatedCountPaginator(Paginator):  # type: ignore[type-arg]
    """Exact counts for small lists, the planner's estimate for big ones (never a fake cap).

    Counting up to ``exact_up_to`` rows costs at most that many index entries (``COUNT(*)``
    over a ``LIMIT`` subquery); above it the count is ``EXPLAIN``'s row estimate for the
    filtered query (the table's statistics, kept by autovacuum), at least ``exact_up_to + 1``,
    and the list says "about N (estimated)". The cost of a page is then the same at a thousand
    rows or a hundred million, with any filter. Reuse it on every big changelist:
    ``paginator = EstimatedCountPaginator`` (``exact_up_to`` can be set per admin).

    Both queries run on every page, small list or big (issue 19): the page's query count is
    then the same at ten rows and at a million (``tests/core/test_admin_query_counts.py``);
    the ``EXPLAIN`` only plans, it reads no row.
    """

    exact_up_to = 10_000
    template_name = "admin/core/estimated_pagination.html"

    @cached_property
    def count(self) -> int:
        queryset = self.object_list
        if not isinstance(queryset, QuerySet):
            return super().count
        exact = queryset[: self.exact_up_to + 1].count()
        estimate = planner_estimate(queryset)
        if exact <= self.exact_up_to:
            return exact
        return EstimatedCount(max(estimate, self.exact_up_to + 1))

    @property
    def is_estimated(self) -> bool:
        return isinstance(self.count, EstimatedCount)


def estimated_paginator(exact_up_to: int) -> type[EstimatedCountPaginator]:
    """An ``EstimatedCountPaginator`` that counts exactly up to ``exact_up_to`` rows."""
    return type("EstimatedCountPaginator", (EstimatedCountPaginator,), {"exact_up_to": exact_up_to})


def _money_column(name: str, label: str, currency_field: str | None = None) -> Callable[[Any], str]:
    """An amount with its currency: the tenant's, or (issue 17) the row's own currency field
    named in the model's ``CURRENCY_FIELDS`` (blank there: the tenant's)."""

    def column(obj: Any) -> str:
        code = (getattr(obj, currency_field, "") or None) if currency_field else None
        return display.format_money(getattr(obj, name), code)

    column.short_description = label  # type: ignore[attr-defined]
    column.admin_order_field = name  # type: ignore[attr-defined]
    column.__name__ = name
    return column


def _time_column(name: str, label: str) -> Callable[[Any], str]:
    def column(obj: Any) -> str:
        value = getattr(obj, name)
        return display.EMPTY if value is None else display.format_datetime(value)

    column.short_description = label  # type: ignore[attr-defined]
    column.admin_order_field = name  # type: ignore[attr-defined]
    column.__name__ = name
    return column


def readable_columns(model: type[models.Model], names: Iterable[Any], keep: set[str]) -> list[Any]:
    """``list_display`` with money and time columns shown the house way (issue 14): an amount
    (a 2-place ``DecimalField``) as ``14,000.00 CNY``, a timestamp in the tenant's zone with the
    zone named. Link and editable columns (``keep``) stay as they are."""
    out: list[Any] = []
    for name in names:
        if not isinstance(name, str) or name in keep:
            out.append(name)
            continue
        try:
            field = model._meta.get_field(name)
        except FieldDoesNotExist:  # a method or an admin attribute
            out.append(name)
            continue
        label = str(getattr(field, "verbose_name", name))
        if isinstance(field, models.DecimalField) and field.decimal_places == 2:
            currency_field = getattr(model, "CURRENCY_FIELDS", {}).get(name)
            out.append(_money_column(name, label, currency_field))
        elif isinstance(field, models.DateTimeField):
            out.append(_time_column(name, label))
        else:
            out.append(name)
    return out


#: what a filter value the code cannot use raises: ``int("abc")``, a model field's
#: ``to_python``, ``datetime(10**30, 1, 1)``
BAD_FILTER_VALUE = (ValueError, ValidationError, OverflowError)


class TenantChangeList(UnfoldChangeList):
    """A list filter given a value it cannot use (``?bd_owner=abc``, a date hierarchy year of
    30 digits) gives Django's usual "invalid filter" answer (``IncorrectLookupParameters``:
    the changelist redirects to ``?e=1``), never a 500 (issue 22). Django does this for the
    lookups it applies itself; custom ``SimpleListFilter.queryset`` and the date hierarchy are
    not covered there. NUL never gets this far (``apps.core.security.NulByteMiddleware``);
    ``tests/security/test_odd_input.py`` tries every filter of every changelist."""

    def get_filters(self, request: HttpRequest) -> Any:
        try:
            return super().get_filters(request)
        except BAD_FILTER_VALUE as exc:
            raise IncorrectLookupParameters(exc) from exc

    def get_queryset(self, request: HttpRequest, exclude_parameters: Any = None) -> Any:
        try:
            return super().get_queryset(request, exclude_parameters)
        except BAD_FILTER_VALUE as exc:
            raise IncorrectLookupParameters(exc) from exc


class TenantAdmin(_TenantScopedFormFieldsMixin, UnfoldModelAdmin):
    #: roles that may see the list and detail pages
    view_roles: frozenset[str] = ALL_STAFF
    #: roles that may add and change rows
    change_roles: frozenset[str] = ADMINS
    #: roles that may delete rows (money and history are never deleted)
    delete_roles: frozenset[str] = NOBODY
    list_per_page = 50
    show_full_result_count = False  # a COUNT(*) over millions of rows on every page is waste
    #: every list counts exactly up to 10,000 rows and says "about N (estimated)" above, so no
    #: changelist over a big table (clicks, conversions, earnings, commissions, products,
    #: ledger entries) ever counts millions of rows, and a table that grows needs no change
    #: here (issue 19)
    paginator = EstimatedCountPaginator

    #: show amounts with the tenant's currency and times in its zone in the list (issue 14)
    readable_list = True

    def get_changelist(self, request: HttpRequest, **kwargs: Any) -> type[TenantChangeList]:
        return TenantChangeList

    # -- tenancy -----------------------------------------------------------------------
    def get_queryset(self, request: HttpRequest) -> QuerySet[Any]:
        return super().get_queryset(request).filter(tenant=request.tenant)  # type: ignore[attr-defined, no-any-return]

    def get_list_display(self, request: HttpRequest) -> Any:
        names = super().get_list_display(request)
        if not self.readable_list:
            return names
        keep = set(self.list_editable or ()) | set(
            self.get_list_display_links(request, names) or ()
        )
        return readable_columns(self.model, names, keep)

    def get_search_results(
        self, request: HttpRequest, queryset: QuerySet[Any], search_term: str
    ) -> tuple[QuerySet[Any], bool]:
        queryset, may_have_duplicates = super().get_search_results(request, queryset, search_term)
        return queryset.filter(tenant=request.tenant), may_have_duplicates  # type: ignore[attr-defined]

    def get_object(self, request: HttpRequest, object_id: str, from_field: Any = None) -> Any:
        # Django answers a missing id with a redirect (change) or 403 (delete without the
        # permission); another tenant's id must look exactly like a missing one: 404, first.
        obj = super().get_object(request, object_id, from_field)
        if obj is None:
            raise Http404
        return obj

    def save_model(self, request: HttpRequest, obj: Any, form: Any, change: bool) -> None:
        if not change:
            obj.tenant = request.tenant  # type: ignore[attr-defined]
        super().save_model(request, obj, form, change)

    def save_formset(self, request: HttpRequest, form: Any, formset: Any, change: bool) -> None:
        instances = formset.save(commit=False)
        for instance in instances:
            # hasattr(instance, "tenant") is False on a new row (the related lookup raises),
            # so ask the model whether it has the field.
            is_tenant_row = any(f.name == "tenant" for f in instance._meta.concrete_fields)
            if is_tenant_row and getattr(instance, "tenant_id", None) is None:
                instance.tenant = request.tenant  # type: ignore[attr-defined]
            instance.save()
        for obj in formset.deleted_objects:
            obj.delete()
        formset.save_m2m()

    # -- roles -------------------------------------------------------------------------
    def _has_role(self, request: HttpRequest, roles: Iterable[str]) -> bool:
        return bool(staff_roles_for(request) & frozenset(roles))

    def has_module_permission(self, request: HttpRequest) -> bool:
        return self.has_view_permission(request)

    def has_view_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return self._has_role(request, self.view_roles | self.change_roles)

    def has_add_permission(self, request: HttpRequest, *args: Any) -> bool:
        return self._has_role(request, self.change_roles)

    def has_change_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return self._has_role(request, self.change_roles)

    def has_delete_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return self._has_role(request, self.delete_roles)

    # -- services ----------------------------------------------------------------------
    def run_service(self, request: HttpRequest, func: Any, /, **kwargs: Any) -> Any:
        """Call one service for an admin action; a refusal becomes an error message."""
        try:
            return func(**kwargs)
        except DomainError as exc:
            self.message_user(request, str(exc), level=messages.ERROR)
            return None

    def run_service_each(
        self,
        request: HttpRequest,
        rows: Iterable[Any],
        func: Any,
        /,
        arguments: Callable[[Any], dict[str, Any]],
        done: str = "",
    ) -> int:
        """``run_service(func, **arguments(row))`` for each selected row, each call its own
        transaction: a refusal is an error message and the other rows still go through.
        Returns how many did; ``done`` (``"statement(s) approved"``) then says so."""
        count = 0
        for row in rows:
            if self.run_service(request, func, **arguments(row)) is not None:
                count += 1
        if count and done:
            self.message_user(request, f"{count} {done}.", level=messages.SUCCESS)
        return count


class ReadOnlyTenantAdmin(TenantAdmin):
    """Records shown in the back office and never added, changed or deleted there: money rows,
    clicks, conversions, runs. Their rows change only through services (actions may call
    them with ``run_service``)."""

    change_roles = NOBODY
    delete_roles = NOBODY

    def has_add_permission(self, request: HttpRequest, *args: Any) -> bool:
        return False

    def has_change_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return False


class DecisionAdminMixin:
    """For rows that change only by a decision (claims, disputes): every page is read-only,
    and ``decide_roles`` may decide, through the actions and decide pages that check
    ``has_decide_permission`` (unfold and Django actions name it ``permissions=["decide"]``).
    Put it before ``TenantAdmin`` in the bases."""

    decide_roles: frozenset[str] = NOBODY

    def has_add_permission(self, request: HttpRequest, *args: Any) -> bool:
        return False

    def has_change_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return False

    def has_decide_permission(self, request: HttpRequest, *args: Any) -> bool:
        return bool(staff_roles_for(request) & self.decide_roles)


class TenantInlineMixin(_TenantScopedFormFieldsMixin):
    view_roles: frozenset[str] = ALL_STAFF
    change_roles: frozenset[str] = ADMINS
    delete_roles: frozenset[str] = NOBODY

    def get_queryset(self, request: HttpRequest) -> QuerySet[Any]:
        return super().get_queryset(request).filter(tenant=request.tenant)  # type: ignore[misc, attr-defined, no-any-return]

    def has_view_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return bool(staff_roles_for(request) & (self.view_roles | self.change_roles))

    def has_add_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return bool(staff_roles_for(request) & self.change_roles)

    def has_change_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return bool(staff_roles_for(request) & self.change_roles)

    def has_delete_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return bool(staff_roles_for(request) & self.delete_roles)


class TenantTabularInline(TenantInlineMixin, UnfoldTabularInline):
    extra = 0


class TenantStackedInline(TenantInlineMixin, UnfoldStackedInline):
    extra = 0
