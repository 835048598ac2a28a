"""CSV peers for `npm run bench`: pandas read_csv (C engine) + to_datetime + pivot to columns,
and pyarrow's multi-threaded read_csv, on the bench's long-layout files.

Usage: .venv-bench/bin/python scripts/peers/csv_read.py RUNS FILE [FILE ...]
Prints {"versions": {...}, "files": {FILE: {"pandas_ms": .., "pyarrow_ms": ..}}}.
"""

import sys

import pandas as pd
import pyarrow
import pyarrow.csv

from common import best, emit


def pandas_columns(path):
    frame = pd.read_csv(path, engine="c")
    frame["date"] = pd.to_datetime(frame["date"])
    return frame.pivot(index="date", columns="symbol", values=["open", "high", "low", "close", "volume"])


def main():
    runs = int(sys.argv[1])
    files = {}
    for path in sys.argv[2:]:
        files[path] = {
            "pandas_ms": best(runs, lambda: pandas_columns(path)),
            "pyarrow_ms": best(runs, lambda: pyarrow.csv.read_csv(path)),
        }
    emit({"versions": {"pandas": pd.__version__, "pyarrow": pyarrow.__version__}, "files": files})


main()
