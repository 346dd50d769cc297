"""The benchmark's memory sampler: a real process tree, each process counted under its role."""

from __future__ import annotations

import multiprocessing
import os

from benchmarks.memory import Measured, tree_rss_by_role

MIB = 1024 * 1024


def test_a_check_worker_is_counted_apart_from_the_process_that_started_it():
    with multiprocessing.get_context("forkserver").Pool(1) as pool:
        pool.apply(os.getpid)  # the worker is up
        by_role = tree_rss_by_role(os.getpid())
    assert by_role.keys() >= {"main", "check worker"}
    assert by_role["main"] > 10 * MIB and by_role["check worker"] > 5 * MIB


def test_a_steps_peak_is_the_sample_where_the_whole_tree_held_most():
    measured = Measured(
        seconds=3.0,
        exit_code=0,
        samples=[
            (1.0, {"main": 500, "dbt": 100}),
            (2.0, {"main": 100, "dbt": 400, "check worker": 150}),  # the tree's peak: 650
            (3.0, {"main": 600}),
        ],
    )
    assert measured.peak_by_role_between(1.5, 3.0) == {"main": 100, "dbt": 400, "check worker": 150}
    assert measured.peak_by_role_between(2.5, 3.0) == {"main": 600}
    assert measured.peak_by_role_between(4.0, 5.0) == {}
    assert measured.peak_bytes == 650
