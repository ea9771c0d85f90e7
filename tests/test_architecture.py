"""House rules that a reviewer would otherwise have to remember (STYLE.md sections 1, 3, 4, 7)."""

import ast
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
APPS = ROOT / "apps"

# Apps import only to their left (STYLE.md 1). The edge apps come last: api (partner API),
# portal (front door), demo (seed data); nobody imports them.
ORDER = [
    "core", "tenants", "fx", "affiliates", "sites", "campaigns", "tracking", "growth",
    "commissions", "disputes", "billing", "integrations", "api", "portal", "demo",
]  # fmt: skip


def _python_files(folder: Path) -> list[Path]:
    return [p for p in folder.rglob("*.py") if "migrations" not in p.parts]


def _imports(path: Path) -> list[str]:
    tree = ast.parse(path.read_text(), filename=str(path))
    names: list[str] = []
    for node in ast.walk(tree):
        if isinstance(node, ast.Import):
            names.extend(alias.name for alias in node.names)
        elif isinstance(node, ast.ImportFrom) and node.module:
            names.append(node.module)
    return names


def test_apps_import_only_to_their_left():
    offences = []
    for app_dir in sorted(p for p in APPS.iterdir() if p.is_dir() and p.name != "__pycache__"):
        assert app_dir.name in ORDER, f"add apps/{app_dir.name} to ORDER in this test"
        rank = ORDER.index(app_dir.name)
        for path in _python_files(app_dir):
            for name in _imports(path):
                parts = name.split(".")
                is_app = len(parts) >= 2 and parts[0] == "apps" and parts[1] in ORDER
                if is_app and ORDER.index(parts[1]) > rank:
                    offences.append(f"{path.relative_to(ROOT)} imports {name}")
    assert offences == []


def test_scopes_disabled_only_where_allowed():
    allowed = {APPS / "tenants"}
    offences = []
    for path in _python_files(APPS) + _python_files(ROOT / "config"):
        if any(parent in allowed for parent in path.parents):
            continue
        text = path.read_text()
        if "scopes_disabled" in text or "with_scopes_disabled" in text:
            offences.append(str(path.relative_to(ROOT)))
    assert offences == []


def test_tests_disable_scopes_only_in_conftest():
    # Fixture setup is unscoped by the conftest hook and bodies are scoped by its autouse
    # fixture (docs/development.md "Tests"); a test that needs no scope says @unscoped.
    allowed = {
        ROOT / "tests" / "conftest.py",
        Path(__file__),
        # the deliberate leak that proves the harness catches an unfiltered admin
        ROOT / "tests" / "tenancy" / "test_cross_tenant.py",
    }
    offences = [
        str(path.relative_to(ROOT))
        for path in (ROOT / "tests").rglob("*.py")
        if path not in allowed and "scopes_disabled" in path.read_text()
    ]
    assert offences == []


def test_services_never_call_delay_directly():
    # Side effects are enqueued on commit (delay_on_commit), never inside an open transaction.
    offences = []
    for path in APPS.rglob("services*.py"):
        for node in ast.walk(ast.parse(path.read_text())):
            if isinstance(node, ast.Attribute) and node.attr in {"delay", "apply_async"}:
                offences.append(f"{path.relative_to(ROOT)}:{node.lineno}")
    for path in (APPS).rglob("services/*.py"):
        for node in ast.walk(ast.parse(path.read_text())):
            if isinstance(node, ast.Attribute) and node.attr in {"delay", "apply_async"}:
                offences.append(f"{path.relative_to(ROOT)}:{node.lineno}")
    assert offences == []


def test_no_float_in_app_code():
    # Money is Decimal; float() anywhere in app code is a smell we do not allow.
    offences = []
    for path in _python_files(APPS):
        for node in ast.walk(ast.parse(path.read_text())):
            if isinstance(node, ast.Call) and getattr(node.func, "id", None) == "float":
                offences.append(f"{path.relative_to(ROOT)}:{node.lineno}")
    assert offences == []


def test_tenant_owned_unique_constraints_start_with_tenant():
    from django.apps import apps
    from django.db.models import UniqueConstraint

    from apps.core.models import TenantScopedModel

    offences = []
    for model in apps.get_models():
        if not issubclass(model, TenantScopedModel):
            continue
        for constraint in model._meta.constraints:
            if isinstance(constraint, UniqueConstraint):
                first = constraint.fields[0] if constraint.fields else None
                if first is None and constraint.expressions:
                    first = getattr(constraint.expressions[0], "name", None)
                if first != "tenant":
                    offences.append(f"{model.__name__}.{constraint.name}")
        for field in model._meta.fields:
            if field.unique and not field.primary_key:
                offences.append(f"{model.__name__}.{field.name} is unique without tenant")
    assert offences == []


#: The transition functions: the only places a ``status`` is written, by (module, function).
STATUS_WRITERS = {
    ("apps/affiliates/services.py", "affiliate_transition"),
    ("apps/billing/services/invoices.py", "invoice_transition"),
    ("apps/campaigns/services/campaigns.py", "campaign_transition"),
    ("apps/commissions/services/accrual.py", "commission_transition"),
    ("apps/commissions/services/accrual.py", "commissions_settle"),
    ("apps/commissions/services/accrual.py", "commission_reversal_apply"),
    ("apps/commissions/services/statements.py", "statement_transition"),
    ("apps/disputes/services/claims.py", "claim_transition"),
    ("apps/disputes/services/disputes.py", "dispute_transition"),
    ("apps/integrations/services/status.py", "deliveries_transition"),
    ("apps/sites/services.py", "site_transition"),
    ("apps/sites/services.py", "contract_terminate"),
    ("apps/tenants/import_jobs.py", "import_job_transition"),
    ("apps/tracking/services/conversions.py", "conversion_status_set"),
}
#: Not a model's status: the conversions batch's per-event answer, the admin copying a
#: created row's fields back onto its form object.
STATUS_NOT_A_MODEL = {
    ("apps/tracking/services/conversions.py", "conversions_record"),
    ("apps/tracking/services/conversions.py", "_triage"),
    ("apps/affiliates/admin.py", "save_model"),
}


def _status_writes(path: Path) -> list[tuple[str, int]]:
    """(enclosing function, line) of every ``x.status = ...`` and ``.update(status=...)``."""
    found: list[tuple[str, int]] = []

    def visit(node: ast.AST, function: str) -> None:
        for child in ast.iter_child_nodes(node):
            name = function
            if isinstance(child, ast.FunctionDef | ast.AsyncFunctionDef):
                name = child.name
            targets: list[ast.expr] = []
            if isinstance(child, ast.Assign):
                targets = [
                    element
                    for target in child.targets
                    for element in (target.elts if isinstance(target, ast.Tuple) else [target])
                ]
            elif isinstance(child, ast.AugAssign | ast.AnnAssign):
                targets = [child.target]
            for target in targets:
                if isinstance(target, ast.Attribute) and target.attr == "status":
                    found.append((name, child.lineno))
            if (
                isinstance(child, ast.Call)
                and isinstance(child.func, ast.Attribute)
                and child.func.attr == "update"
                and any(keyword.arg == "status" for keyword in child.keywords)
            ):
                found.append((name, child.lineno))
            visit(child, name)

    visit(ast.parse(path.read_text()), "<module>")
    return found


def test_status_is_written_only_by_transition_functions():
    """Issue 13: one writer per status. A new status move goes through its model's transition
    function (or a named bulk helper next to it, listed above)."""
    allowed = STATUS_WRITERS | STATUS_NOT_A_MODEL
    offenders = []
    for path in _python_files(APPS):
        module = str(path.relative_to(ROOT))
        if "/migrations/" in module:
            continue
        for function, line in _status_writes(path):
            if (module, function) not in allowed:
                offenders.append(f"{module}:{line} in {function}()")
    assert not offenders, "status written outside a transition function:\n" + "\n".join(offenders)


def test_role_groups_are_built_once():
    # Who may use a page is a group of apps.core.roles (BD, FINANCE, REVIEWERS, ...), never a
    # set of role names spelled out again in an admin or view module.
    from apps.core.roles import Role

    names = set(Role.values)
    offences = []
    for path in _python_files(APPS):
        if path == APPS / "core" / "roles.py":
            continue
        for node in ast.walk(ast.parse(path.read_text())):
            if isinstance(node, ast.Set) and any(
                isinstance(item, ast.Constant) and item.value in names for item in node.elts
            ):
                offences.append(f"{path.relative_to(ROOT)}:{node.lineno}")
    assert offences == []


def test_api_views_read_through_selectors():
    # The partner API's views (and the portal's dispute pages) parse, fetch through a
    # selector, call one service and render (STYLE.md 7): no ORM manager in them.
    paths = [*(APPS / "api" / "views").glob("*.py"), APPS / "portal" / "views" / "disputes.py"]
    offences = []
    for path in paths:
        for node in ast.walk(ast.parse(path.read_text())):
            if isinstance(node, ast.Attribute) and node.attr == "objects":
                offences.append(f"{path.relative_to(ROOT)}:{node.lineno}")
    assert offences == []
