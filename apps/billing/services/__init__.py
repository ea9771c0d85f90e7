"""Writes of billing: invoices (generation, workflow, payment) and prepaid balances."""
