"""Curata: turns the by-products of image-AI tools into training data that can be trusted.

This package holds the domain logic (parsing, rules, stores, exporters). It never imports
Dagster, so collection tools and tests can use it directly.
"""

__version__ = "0.1.0"
