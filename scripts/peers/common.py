"""Shared by the peer benchmarks: best-of-n timing with time.perf_counter, JSON out."""

import json
import sys
import time


def best(runs, work):
    """Milliseconds of the fastest of `runs` calls of work(), after one warm-up call."""
    work()
    fastest = float("inf")
    for _ in range(runs):
        started = time.perf_counter()
        work()
        fastest = min(fastest, (time.perf_counter() - started) * 1000)
    return fastest


def emit(document):
    json.dump(document, sys.stdout)
    sys.stdout.write("\n")
