"""Statements and payouts in the back office (finance)."""
