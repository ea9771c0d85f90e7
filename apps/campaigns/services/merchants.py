"""Writes on merchants."""
