"""Reads on merchants."""
