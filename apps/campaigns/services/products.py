"""Writes on products."""
