"""Benchmarks of the hot paths at scale (``make bench``); results in ``bench/README.md``."""
