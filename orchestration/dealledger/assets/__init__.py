"""Dagster assets, one module per layer of the pipeline."""
