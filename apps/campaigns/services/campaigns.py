"""Writes on campaigns."""
