"""Settings read from the environment: a value that cannot work stops the run with the variable's name."""

from __future__ import annotations

import pytest

from dealledger.settings import load_settings, memory_mib


def test_memory_limits_are_read_in_decimal_and_binary_units():
    assert memory_mib("2GB") == pytest.approx(1907.35, abs=0.01)
    assert memory_mib("500MiB") == 500
    assert memory_mib(" 1.5 gib ") == 1536


@pytest.mark.parametrize("limit", ["2 gigs", "80%", "1.2.3GB", ""])
def test_a_memory_limit_that_does_not_parse_names_the_variable(monkeypatch, limit: str):
    monkeypatch.setenv("DEALLEDGER_DUCKDB_MEMORY_LIMIT", limit)
    with pytest.raises(
        ValueError, match="DEALLEDGER_DUCKDB_MEMORY_LIMIT: memory limit .*: expected a number and a unit"
    ):
        load_settings()
