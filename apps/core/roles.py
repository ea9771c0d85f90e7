"""Staff roles and the groups the back office grants by, built once from ``Role``.

A staff member holds one or more roles per network (``apps.tenants.models.Membership``); an
admin page, action or desk names the group that may use it. The tenant admin is in every
group. ``Role`` lives here (and is re-exported by ``apps.tenants.models``) so that
``apps.core.admin`` can take its defaults from it too.
"""

from django.db import models


class Role(models.TextChoices):
    TENANT_ADMIN = "tenant_admin", "Tenant admin"
    BD = "bd", "Business development"
    FINANCE = "finance", "Finance"
    RISK = "risk", "Risk and claims"


#: nobody may (read-only pages: their rows change only through services)
NOBODY: frozenset[str] = frozenset()
#: every staff role
ALL_STAFF: frozenset[str] = frozenset(Role.values)
#: the network's administrators: staff memberships, tenant settings
ADMINS: frozenset[str] = frozenset({Role.TENANT_ADMIN})
#: business development: webmasters, merchants, sites, plans, commission rules
BD: frozenset[str] = ADMINS | {Role.BD}
#: finance: statements, payouts, invoices
FINANCE: frozenset[str] = ADMINS | {Role.FINANCE}
#: risk: holds and the risk desk
RISK: frozenset[str] = ADMINS | {Role.RISK}
#: who decides compensation claims and disputes
REVIEWERS: frozenset[str] = ADMINS | {Role.RISK, Role.FINANCE}
#: who reads the ledger's accounts, transactions and entries
LEDGER_READERS: frozenset[str] = ADMINS | {Role.FINANCE, Role.RISK}
#: who may import files (webmasters, merchants, products, rules)
IMPORTERS: frozenset[str] = ADMINS | {Role.BD, Role.FINANCE}
