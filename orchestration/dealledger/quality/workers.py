"""Worker processes that validate the Great Expectations suites, two at a time.

In the run's own process, importing Great Expectations (5 s) and validating the 23 suites one after
the other (6 s) were a seventh of the demo run. The workers import it side by side and share the suites.
They start with the check step, not earlier: started with the dbt step to import while dbt ran, the two
idle workers held 560 MiB beside dbt's DuckDB, the run's peak at 10M deals (docs/benchmarks.md).
"""

from __future__ import annotations

import gc
import multiprocessing
from pathlib import Path

from dagster import ConfigurableResource

from dealledger.quality.expectations import SuiteResult
from dealledger.quality.tables import prepare_worker, validate_table


class SuiteValidators(ConfigurableResource):
    # One per core of the 2-core machine this is sized for; more would only add imports.
    workers: int = 2

    def validate(self, database: Path, config: dict[str, str], suites: list[tuple[str, Path]]) -> list[SuiteResult]:
        """Each (table, suite file) validated in a worker; the results in the order given. The workers stop
        when they are done, so that their memory is free for the publish step."""
        # spawn, not fork: this process holds DuckDB and Dagster threads that a fork would copy mid-state.
        pool = multiprocessing.get_context("spawn").Pool(self.workers, initializer=prepare_worker)
        tasks = [(database, config, table, suite_path) for table, suite_path in suites]
        try:
            return pool.starmap(validate_table, tasks, chunksize=1)
        finally:
            # Idle by now, holding nothing to flush: ended at once instead of by their own slow interpreter exit.
            pool.terminate()
            pool.join()
            # Freed now, not at interpreter exit: the CLI exits without teardown (cli.console_main), and the
            # semaphores of a pool left in a reference cycle would be reported as leaked.
            del pool
            gc.collect()
