"""Worker processes that validate the Great Expectations suites, started when a run starts.

In the run's own process, importing Great Expectations (5 s) and validating the 23 suites one after
the other (6 s) were a seventh of the demo run. Workers started with the run import it while ingest
and dbt run (dbt is a subprocess; the run's process mostly waits for it) and then share the suites.
"""

from __future__ import annotations

import multiprocessing
from multiprocessing.pool import Pool
from pathlib import Path

from dagster import ConfigurableResource, InitResourceContext
from pydantic import PrivateAttr

from dealledger.quality.expectations import SuiteResult, validate_table


def _import_great_expectations() -> None:
    import great_expectations  # noqa: F401 (the import is the work, done once per worker)


class SuiteValidators(ConfigurableResource):
    # One per core of the 2-core machine this is sized for; more would only add imports.
    workers: int = 2

    _pool: Pool | None = PrivateAttr(default=None)

    def setup_for_execution(self, context: InitResourceContext) -> None:
        # spawn, not fork: the run's process holds DuckDB and Dagster threads that a fork would copy mid-state.
        self._pool = multiprocessing.get_context("spawn").Pool(self.workers, initializer=_import_great_expectations)

    def teardown_after_execution(self, context: InitResourceContext) -> None:
        self._pool.terminate()
        self._pool.join()
        # Freed now, not at interpreter exit: the CLI exits without teardown (cli.console_main), and the
        # pool's semaphores would be reported as leaked.
        self._pool = None

    def validate(self, database: Path, config: dict[str, str], suites: list[tuple[str, Path]]) -> list[SuiteResult]:
        """Each (table, suite file) validated in a worker; the results in the order given."""
        tasks = [(database, config, table, suite_path) for table, suite_path in suites]
        return self._pool.starmap(validate_table, tasks, chunksize=1)
