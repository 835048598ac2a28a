"""vectorbt peer for `npm run bench`: Portfolio.from_orders(size_type='targetpercent') on the
quick engine's own orders (the same semantics test/unit/vectorbt.test.ts checks to 1e-9).

Usage: .venv-bench/bin/python scripts/peers/vectorbt_orders.py RUNS MANIFEST.json
MANIFEST lists cases: {label, bars, symbols, price (float64 file, bars × symbols, row-major),
orders (same shape: a target weight where an order is due, NaN elsewhere), fees, slippage, cash}.
numba compiles on the first call (~20 s): a small case runs first, untimed. Only from_orders (the
simulation, which records the orders) is timed. Prints {"version": .., "cases": {label: {"ms": .., "orders": ..}}}.
"""

import json
import sys

import numpy as np
import vectorbt as vbt

from common import best, emit


def simulate(price, orders, case):
    return vbt.Portfolio.from_orders(
        price,
        size=orders,
        size_type="targetpercent",
        direction="both",
        price=price,
        fees=case["fees"],
        slippage=case["slippage"],
        init_cash=case["cash"],
        cash_sharing=True,
        group_by=True,
        call_seq="auto",
        freq="1D",
    )


def main():
    runs = int(sys.argv[1])
    with open(sys.argv[2]) as handle:
        manifest = json.load(handle)
    # Warm-up: numba's JIT compiles the simulation once.
    warm = np.full((50, 2), 10.0)
    simulate(warm, np.where(np.arange(100).reshape(50, 2) % 7 == 0, 0.4, np.nan), {"fees": 1e-4, "slippage": 1e-4, "cash": 1e6})
    cases = {}
    for case in manifest:
        shape = (case["bars"], case["symbols"])
        price = np.fromfile(case["price"], dtype=np.float64).reshape(shape)
        orders = np.fromfile(case["orders"], dtype=np.float64).reshape(shape)
        ms = best(runs, lambda: simulate(price, orders, case))
        portfolio = simulate(price, orders, case)
        cases[case["label"]] = {"ms": ms, "orders": int(portfolio.orders.count().sum()), "final_value": float(np.asarray(portfolio.value()).reshape(-1)[-1])}
    emit({"version": vbt.__version__, "cases": cases})


main()
