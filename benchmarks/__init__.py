"""Benchmarks that measure the product's speed claims (run them as modules, e.g. ``python -m benchmarks.rotation``)."""
