"""Benchmarks of the whole pipeline against hand-written DuckDB SQL (`python -m benchmarks.run`)."""
