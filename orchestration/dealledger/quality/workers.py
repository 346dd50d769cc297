"""Worker processes that validate the Great Expectations suites, two at a time.

In the run's own process, importing Great Expectations (4-5 s) and validating the 23 suites one after
the other (6 s) were a seventh of the demo run. The workers share the suites and fork from a server process
(multiprocessing's forkserver) that imported Great Expectations once, so a worker starts in 0.05 s. The dbt
step starts that server (`start_importing`): its import runs beside dbt's own start-up, which uses one core.
Idle beside dbt, the server holds 247 MiB; two workers started with the dbt step, each importing on its
own, held 560 MiB there, the run's peak at 10M deals, and so they had started with the check step since
stop 19, their imports on the check step's critical path (docs/benchmarks.md).
"""

from __future__ import annotations

import contextlib
import functools
import gc
import multiprocessing
import multiprocessing.context
from collections.abc import Callable
from multiprocessing import forkserver
from pathlib import Path

from dagster import ConfigurableResource

from dealledger.quality.expectations import SuiteResult, table_validator

# What the server imports before it forks a worker: its own module, not workers.py, so that the server
# does not import Dagster too.
SERVER_PRELOAD = ["great_expectations", "duckdb_engine", "dealledger.quality.expectations"]


# A worker's validator: one read-only connection to the build file for all the suites it validates, kept
# open (held by the module's exit stack) until the worker ends with the check step.
_worker_resources = contextlib.ExitStack()
_worker_validator: Callable[[str, Path], SuiteResult] | None = None


def _open_validator(database: Path, config: dict[str, str]) -> None:
    global _worker_validator
    _worker_validator = _worker_resources.enter_context(table_validator(database, config))


def _validate_in_worker(table: str, suite_path: Path) -> SuiteResult:
    return _worker_validator(table, suite_path)


@functools.cache
def _worker_context() -> multiprocessing.context.ForkServerContext:
    # A fork server, not fork: this process holds DuckDB and Dagster threads that a fork would copy mid-state.
    # The server is a fresh interpreter (started by exec) without threads, and the workers fork from it.
    context = multiprocessing.get_context("forkserver")
    context.set_forkserver_preload(SERVER_PRELOAD)
    return context


class SuiteValidators(ConfigurableResource):
    # One per core of the 2-core machine this is sized for; more would only add memory.
    workers: int = 2

    def start_importing(self) -> None:
        """Start the server the workers fork from, which imports Great Expectations now; returns at once.

        The server lives as long as this process, for every later check step of it."""
        _worker_context()
        forkserver.ensure_running()

    def validate(self, database: Path, config: dict[str, str], suites: list[tuple[str, Path]]) -> list[SuiteResult]:
        """Each (table, suite file) validated in a worker; the results in the order given. The workers stop
        when they are done, so that their memory is free for the publish step."""
        pool = _worker_context().Pool(self.workers, initializer=_open_validator, initargs=(database, config))
        try:
            return pool.starmap(_validate_in_worker, suites, chunksize=1)
        finally:
            # Closed, not terminated: a forked worker ends without an interpreter teardown (0.02 s for both),
            # and unregisters the semaphores it made; killed, it left them to be reported as leaked at exit.
            pool.close()
            pool.join()
            # Freed now, not at interpreter exit: the CLI exits without teardown (cli.console_main), and the
            # semaphores of a pool left in a reference cycle would be reported as leaked.
            del pool
            gc.collect()
