"""Demo seeding steps, in order. Each module has ``seed(*, tenant, days, result, log)`` and is
idempotent; ``seed_demo`` runs them inside the demo tenant's scope."""

STEP_MODULES: list[str] = [
    # "apps.demo.steps.onboarding",
    # "apps.demo.steps.traffic",
]
