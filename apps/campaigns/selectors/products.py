"""Reads on products."""
