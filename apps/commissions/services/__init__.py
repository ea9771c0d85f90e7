"""Writes on the money, one module per topic: rules, accrual, earnings, weights, ledger, rebates,
orders (status changes and reversals), statements."""
