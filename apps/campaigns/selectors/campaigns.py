"""Reads on campaigns."""
