"""Benchmarks: figures from the project's own runs, printed, never asserted.

Each benchmark is a module of this package with a ``BENCHMARK`` (its name, what it measures and an
async ``run``); ``python -m bench`` runs every one, ``python -m bench NAME...`` the ones named.
Adding a benchmark is adding a module. ``make bench`` installs the bench-only dependencies first.
"""
