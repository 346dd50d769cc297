"""Worker processes that validate the Great Expectations suites, started while dbt builds the marts.

In the run's own process, importing Great Expectations (5 s) and validating the 23 suites one after
the other (6 s) were a seventh of the demo run. Workers started when the dbt step starts import it while
dbt runs (dbt is a subprocess; the run's process mostly waits for it) and then share the suites.
Started with the run instead, their imports slowed the ingest by 4 s.
"""

from __future__ import annotations

import gc
import multiprocessing
import os
from multiprocessing.pool import Pool
from pathlib import Path

from dagster import ConfigurableResource, InitResourceContext
from pydantic import PrivateAttr

from dealledger.quality.expectations import SuiteResult
from dealledger.quality.tables import validate_table


def _start_worker() -> None:
    # At low priority: the import must only take CPU time that dbt leaves idle.
    os.nice(10)
    import great_expectations  # noqa: F401 (the import is the work, done once per worker)


class SuiteValidators(ConfigurableResource):
    # One per core of the 2-core machine this is sized for; more would only add imports.
    workers: int = 2

    _pool: Pool | None = PrivateAttr(default=None)

    def start(self) -> None:
        """Start the workers (once per run) so that they are ready when `validate` is called."""
        if self._pool is None:
            # spawn, not fork: this process holds DuckDB and Dagster threads that a fork would copy mid-state.
            self._pool = multiprocessing.get_context("spawn").Pool(self.workers, initializer=_start_worker)

    def teardown_after_execution(self, context: InitResourceContext) -> None:
        self._stop()  # a run that ended before its checks

    def validate(self, database: Path, config: dict[str, str], suites: list[tuple[str, Path]]) -> list[SuiteResult]:
        """Each (table, suite file) validated in a worker; the results in the order given. Once per run: the
        workers stop when they are done, so that their memory is free for the publish step."""
        self.start()
        tasks = [(database, config, table, suite_path) for table, suite_path in suites]
        try:
            return self._pool.starmap(validate_table, tasks, chunksize=1)
        finally:
            self._stop()

    def _stop(self) -> None:
        if self._pool is None:
            return
        # Idle by now, holding nothing to flush: ended at once instead of by their own slow interpreter exit.
        self._pool.terminate()
        self._pool.join()
        # Freed now, not at interpreter exit: the CLI exits without teardown (cli.console_main), and the
        # semaphores of a pool left in a reference cycle would be reported as leaked.
        self._pool = None
        gc.collect()
