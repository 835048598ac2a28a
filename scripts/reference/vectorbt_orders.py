"""Runs the reference cases through vectorbt and stores what it measured.

Usage (from the repository root, in the reference venv; `npm run reference:vectorbt` does it all):

    .venv-reference/bin/python scripts/reference/vectorbt_orders.py INPUTS.json OUT.json

INPUTS.json comes from scripts/reference/exportOrders.ts: per case, the dates, closes, fill prices
and the quick engine's orders (a target weight where an order is due, null elsewhere). Each case
runs `vbt.Portfolio.from_orders(size_type='targetpercent')` with the case's fees and slippage,
cash shared across the symbols and `call_seq='auto'` (sells first), valuation at the order price,
`freq='1D'` and `year_freq='252 days'`. OUT.json keeps, per case: the final value, total return,
every n-th equity value (and the last) with the sum of all of them, trades.count() (exit trades),
positions.count(), orders.count() and the fees paid, with the versions of what computed them.
"""

import json
import sys
from importlib.metadata import version

import numpy as np
import pandas as pd
import vectorbt as vbt


def frame(case, key):
    columns = {symbol: case[key][index] for index, symbol in enumerate(case["universe"])}
    index = pd.DatetimeIndex(pd.to_datetime(case["dates"]), name="date")
    return pd.DataFrame(columns, index=index, dtype=float)  # null -> NaN


def run(case):
    close = frame(case, "close")
    price = frame(case, "price")
    orders = frame(case, "orders")
    grouped = len(case["universe"]) > 1
    pf = vbt.Portfolio.from_orders(
        close,
        size=orders,
        size_type="targetpercent",
        direction="both",
        price=price,
        fees=case["commission_bps"] / 1e4,
        slippage=case["slippage_bps"] / 1e4,
        init_cash=case["cash"],
        cash_sharing=grouped,
        group_by=True if grouped else None,
        call_seq="auto" if grouped else None,
        freq="1D",
    )
    value = pf.value()
    equity = np.asarray(value, dtype=float).reshape(-1)
    every = case["equity_every"]
    sampled = {str(bar): float(equity[bar]) for bar in range(0, len(equity), every)}
    sampled[str(len(equity) - 1)] = float(equity[-1])
    orders_count = int(np.sum(np.asarray(pf.orders.count())))
    return {
        "name": case["name"],
        "universe": case["universe"],
        "signal": case["signal"],
        "allow_short": case["allow_short"],
        "commission_bps": case["commission_bps"],
        "slippage_bps": case["slippage_bps"],
        "timing": case["timing"],
        "cash": case["cash"],
        "bars": len(equity),
        "first_date": case["dates"][0],
        "last_date": case["dates"][-1],
        "orders_given": case["orders_given"],
        "closes_sum": case["closes_sum"],
        "final_value": float(equity[-1]),
        "total_return": float(np.asarray(pf.total_return()).reshape(-1)[0]),
        "equity_sum": float(np.sum(equity)),
        "equity": sampled,
        "trades": int(np.sum(np.asarray(pf.trades.count()))),
        "positions": int(np.sum(np.asarray(pf.positions.count()))),
        "orders": orders_count,
        "fees_paid": float(np.sum(pf.orders.records_arr["fees"])),
    }


def main():
    if len(sys.argv) != 3:
        sys.exit("usage: vectorbt_orders.py INPUTS.json OUT.json")
    vbt.settings.returns["year_freq"] = "252 days"
    with open(sys.argv[1]) as handle:
        cases = json.load(handle)["cases"]
    results = [run(case) for case in cases]
    document = {
        "description": "vectorbt Portfolio.from_orders(size_type='targetpercent') on the cases of scripts/reference/cases.ts; regenerate with `npm run reference:vectorbt`.",
        "versions": {name: version(name) for name in ("vectorbt", "numba", "numpy", "pandas")},
        "cases": results,
    }
    with open(sys.argv[2], "w") as handle:
        json.dump(document, handle, indent=1)
        handle.write("\n")
    for result in results:
        print(f"{result['name']}: final {result['final_value']:.6f}, trades {result['trades']}, positions {result['positions']}, orders {result['orders']}")


if __name__ == "__main__":
    main()
