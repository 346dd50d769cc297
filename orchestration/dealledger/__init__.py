"""dealledger: a sales-pipeline analytics warehouse on DuckDB, dbt and Dagster."""
