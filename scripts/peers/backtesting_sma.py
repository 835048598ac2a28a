"""backtesting.py peer for `npm run bench`: an SMA fast/slow cross, long or flat, all-in, on one
symbol's daily CSV (date,open,high,low,close,volume), with the same commission.

Usage: .venv-bench/bin/python scripts/peers/backtesting_sma.py RUNS CASES.json
CASES: [{label, csv, fast, slow, commission, cash}]. Timed: Backtest(...).run() (indicators, the
event loop and its statistics). Prints {"version": .., "cases": {label: {"ms": .., "trades": .., "final_equity": ..}}}.
"""

import json
import sys
import warnings

import backtesting
import pandas as pd
from backtesting import Backtest, Strategy
from backtesting.lib import crossover

from common import best, emit

warnings.filterwarnings("ignore")


def sma(values, period):
    return pd.Series(values).rolling(period).mean()


def strategy_for(fast, slow):
    class SmaCross(Strategy):
        def init(self):
            self.fast = self.I(sma, self.data.Close, fast)
            self.slow = self.I(sma, self.data.Close, slow)

        def next(self):
            if crossover(self.fast, self.slow):
                self.buy()
            elif crossover(self.slow, self.fast):
                self.position.close()

    return SmaCross


def main():
    runs = int(sys.argv[1])
    with open(sys.argv[2]) as handle:
        manifest = json.load(handle)
    cases = {}
    for case in manifest:
        data = pd.read_csv(case["csv"], index_col=0, parse_dates=True)
        data = data.rename(columns=str.capitalize)[["Open", "High", "Low", "Close", "Volume"]]
        run = lambda: Backtest(data, strategy_for(case["fast"], case["slow"]), cash=case["cash"], commission=case["commission"], finalize_trades=True).run()
        ms = best(runs, run)
        stats = run()
        cases[case["label"]] = {"ms": ms, "trades": int(stats["# Trades"]), "final_equity": float(stats["Equity Final [$]"])}
    emit({"version": backtesting.__version__, "cases": cases})


main()
