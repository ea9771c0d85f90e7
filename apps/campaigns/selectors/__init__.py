"""Reads on merchants, products and campaigns, one module per entity."""
