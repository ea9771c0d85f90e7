"""Demo seeding steps, in order. Each module has ``seed(*, tenant, days, result, log)`` and is
idempotent; ``seed_demo`` runs them inside the demo tenant's scope."""

STEP_MODULES: list[str] = [
    "apps.demo.steps.onboarding",  # webmasters, sites, placements, contracts, merchants
    "apps.demo.steps.campaigns",  # products and campaigns
    "apps.demo.steps.money",  # rules and rebate tiers, before traffic pays by them
    "apps.demo.steps.traffic",  # clicks, conversions, run_daily over the days
    "apps.demo.steps.settlements",  # statements in each state
    "apps.demo.steps.disputes",  # claims and disputes
    "apps.demo.steps.billing",  # the network's fee, confirmed orders, merchant invoices
    "apps.demo.steps.free_product",  # a tagged product in no plan, for a new full-site plan
]
