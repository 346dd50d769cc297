"""Peak memory of a process tree: the RSS of a process and all its descendants, sampled from /proc."""

from __future__ import annotations

import math
import os
import subprocess
import threading
import time
from dataclasses import dataclass, field
from pathlib import Path

PAGE_BYTES = os.sysconf("SC_PAGE_SIZE")
SAMPLE_SECONDS = 0.1


def _children_by_parent() -> dict[int, list[int]]:
    children: dict[int, list[int]] = {}
    for entry in Path("/proc").iterdir():
        if not entry.name.isdigit():
            continue
        try:
            stat = (entry / "stat").read_text()
        except OSError:
            continue  # the process ended between listing and reading
        # The command name may hold spaces and parentheses: the fields after the last ')' are fixed.
        parent = int(stat.rsplit(")", 1)[1].split()[1])
        children.setdefault(parent, []).append(int(entry.name))
    return children


# Which process of the tree holds the memory, by its command line; the root is the measured command itself.
# The check workers fork from multiprocessing's fork server, which shares their command line and their role.
ROLES = (("dbt", "bin/dbt"), ("check worker", "multiprocessing.forkserver"))


def _role(pid: int, root: int) -> str:
    if pid == root:
        return "main"
    try:
        command = Path(f"/proc/{pid}/cmdline").read_bytes().replace(b"\0", b" ").decode(errors="replace")
    except OSError:
        return "other"
    return next((role for role, marker in ROLES if marker in command), "other")


def tree_rss_by_role(root: int) -> dict[str, int]:
    """Resident memory of `root` and every process below it, in bytes, summed per role (ROLES)."""
    children = _children_by_parent()
    by_role: dict[str, int] = {}
    pending = [root]
    while pending:
        pid = pending.pop()
        pending.extend(children.get(pid, []))
        try:
            resident_pages = int(Path(f"/proc/{pid}/statm").read_text().split()[1])
        except (OSError, IndexError, ValueError):
            continue
        role = _role(pid, root)
        by_role[role] = by_role.get(role, 0) + resident_pages * PAGE_BYTES
    return by_role


@dataclass
class Measured:
    """A finished command: wall time, exit code and the (wall clock time, RSS per role) samples."""

    seconds: float
    exit_code: int
    samples: list[tuple[float, dict[str, int]]] = field(default_factory=list)

    @property
    def peak_bytes(self) -> int:
        return sum(self.peak_by_role_between(-math.inf, math.inf).values())

    def peak_by_role_between(self, start: float, end: float) -> dict[str, int]:
        """Each role's RSS at the sample where the whole tree's RSS was highest between `start` and `end`."""
        window = [by_role for at, by_role in self.samples if start <= at <= end]
        return max(window, key=lambda by_role: sum(by_role.values()), default={})


def run_measured(command: list[str], env: dict[str, str], log_path: Path) -> Measured:
    """Run `command` to its end, sampling the RSS of its process tree every SAMPLE_SECONDS."""
    samples: list[tuple[float, dict[str, int]]] = []
    with log_path.open("w") as log:
        started = time.monotonic()
        process = subprocess.Popen(command, env=env, stdout=log, stderr=subprocess.STDOUT)
        stop = threading.Event()

        def sample() -> None:
            while not stop.is_set():
                samples.append((time.time(), tree_rss_by_role(process.pid)))
                stop.wait(SAMPLE_SECONDS)

        sampler = threading.Thread(target=sample, daemon=True)
        sampler.start()
        exit_code = process.wait()
        seconds = time.monotonic() - started
        stop.set()
        sampler.join()
    return Measured(seconds, exit_code, samples)
