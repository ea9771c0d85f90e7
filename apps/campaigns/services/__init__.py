"""Writes on merchants (``merchants``), products (``products``) and campaigns (``campaigns``)."""
