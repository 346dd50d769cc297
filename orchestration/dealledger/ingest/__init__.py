"""Reading exports from the inbox into DuckDB raw tables, with lineage and a rejects ledger."""
