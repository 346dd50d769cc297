"""A Dagster logger for terminals: one short line per step, materialization and check."""

import logging
import sys
import time

from dagster import DagsterEventType, InitLoggerContext, logger
from dagster._core.log_manager import LOG_RECORD_METADATA_ATTR


class ProgressHandler(logging.Handler):
    def __init__(self, stream) -> None:
        super().__init__()
        self.stream = stream
        self.started: dict[str, float] = {}

    def emit(self, record: logging.LogRecord) -> None:
        meta = getattr(record, LOG_RECORD_METADATA_ATTR, None) or {}
        event = meta.get("dagster_event")
        line = self._describe(event, meta.get("step_key")) if event is not None else None
        if line is None and record.levelno >= logging.WARNING:
            line = f"  ! {meta.get('orig_message', record.getMessage())}"
        if line:
            self.stream.write(line + "\n")
            self.stream.flush()

    def _describe(self, event, step_key: str | None) -> str | None:
        kind = event.event_type
        if kind == DagsterEventType.STEP_START:
            self.started[step_key] = time.monotonic()
            return f"▶ {step_key}"
        if kind == DagsterEventType.STEP_SUCCESS:
            return f"✔ {step_key} ({time.monotonic() - self.started.get(step_key, time.monotonic()):.1f} s)"
        if kind == DagsterEventType.STEP_FAILURE:
            error = event.step_failure_data.error
            return f"✘ {step_key} failed: {error.message.strip() if error else 'unknown error'}"
        if kind == DagsterEventType.STEP_SKIPPED:
            return f"⏭ {step_key} skipped (an upstream step or blocking check failed)"
        if kind == DagsterEventType.ASSET_CHECK_EVALUATION:
            evaluation = event.event_specific_data
            if evaluation.passed:
                return None
            key = evaluation.asset_key.to_user_string()
            description = f": {evaluation.description}" if evaluation.description else ""
            return f"  ✘ check {evaluation.check_name} on {key} failed{description}"
        return None


@logger(description="Prints one line per step and every failed check; for `dealledger run` on a terminal.")
def progress_logger(init_context: InitLoggerContext) -> logging.Logger:
    progress = logging.getLogger("dealledger.progress")
    # Dagster logs its step and check events at DEBUG; the handler picks the lines worth printing.
    progress.setLevel(logging.DEBUG)
    progress.propagate = False
    progress.handlers = [ProgressHandler(sys.stderr)]
    return progress
