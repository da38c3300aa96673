"""Measuring helpers shared by the benchmarks: repeated timings and their percentiles, and one
command run in a child process with its wall time, CPU time and peak memory."""

import os
import statistics
import subprocess
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent


def timed(function, runs: int, warmup: int = 2) -> tuple[list[float], object]:
    """``runs`` wall times of ``function()`` in milliseconds, after ``warmup`` calls, and its last result."""
    result = None
    for _ in range(warmup):
        result = function()
    times = []
    for _ in range(runs):
        started = time.perf_counter()
        result = function()
        times.append((time.perf_counter() - started) * 1000)
    return times, result


def timed_stale(function, keys, runs: int, warmup: int = 2) -> tuple[list[float], object]:
    """``timed`` with the cache entries ``keys`` (``core.recent``) made stale before each call.

    The page serves them and starts their recomputation in a thread; the benchmark waits for it
    between two calls, as between two readers, outside the measured time.
    """
    from django.core.cache import cache

    from cite_emploi.core.recent import FRESH_SECONDS, KEEP_SECONDS, wait_for_refreshes

    def stale():
        wait_for_refreshes()
        for key in keys:
            found = cache.get(key)
            if found is not None:
                cache.set(key, (found[0] - FRESH_SECONDS - 1, found[1]), KEEP_SECONDS)

    result = None
    times = []
    for _ in range(warmup + runs):
        stale()
        started = time.perf_counter()
        result = function()
        times.append((time.perf_counter() - started) * 1000)
    wait_for_refreshes()
    return times[warmup:], result


def p(times: list[float], q: float) -> float:
    """The ``q``-th percentile of ``times`` (inclusive method: p100 is the slowest run)."""
    if len(times) == 1:
        return times[0]
    return statistics.quantiles(times, n=100, method="inclusive")[int(q) - 1]


def run(command: list[str], env: dict, quiet: bool = True) -> tuple[float, float, int, str, float]:
    """Wall time (s), peak memory of the child (MiB), return code, output, CPU time of the child (s).

    The child's own figures come from ``os.wait4``; its output is printed when it fails, unless ``quiet``.
    """
    started = time.perf_counter()
    child = subprocess.Popen(command, env=env, cwd=ROOT, stdout=subprocess.PIPE, stderr=subprocess.STDOUT)
    output = child.stdout.read().decode("utf-8", "replace")
    _, status, usage = os.wait4(child.pid, 0)
    code = os.waitstatus_to_exitcode(status)
    seconds = time.perf_counter() - started
    if code and not quiet:
        print(output, file=sys.stderr)
    return seconds, usage.ru_maxrss / 1024, code, output, usage.ru_utime + usage.ru_stime
