"""Data quality beyond dbt tests: Great Expectations suites on the marts BI reads."""
