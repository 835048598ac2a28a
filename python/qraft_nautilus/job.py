"""Reading and checking a backtest job (the JSON file the TypeScript side writes).

Nothing here imports NautilusTrader, so a malformed job is reported even when the library is
missing, and quickly.
"""

from __future__ import annotations

import json
import math
from dataclasses import dataclass
from typing import Any

# The job version, timings, rebalance[t] flags (which symbols trade for bar t's signal), error
# codes and the cash limit are defined once on the TypeScript side and generated into names.py.
from .names import (
    ERROR_BAD_JOB,
    ERROR_UNSUPPORTED,
    ERROR_UNSUPPORTED_TIMING,
    JOB_VERSION,
    MAX_CASH,
    REBALANCE_ALL,
    REBALANCE_CHANGED,
    REBALANCE_NONE,
    TIMING_NEXT_OPEN,
    TIMINGS,
)

# Largest price precision we accept: NautilusTrader's fixed-point prices hold more, but nine
# decimals already sit far below a cent for any realistic price.
MAX_PRICE_PRECISION = 9


class QraftError(Exception):
    """An error the runner reports as {"ok": false, "error": {"code", "message"}}."""

    def __init__(self, code: str, message: str) -> None:
        super().__init__(message)
        self.code = code
        self.message = message


def bad_job(message: str) -> QraftError:
    return QraftError(ERROR_BAD_JOB, message)


@dataclass(frozen=True)
class Costs:
    commission_bps: float
    slippage_bps: float
    min_commission: float

    @property
    def commission_rate(self) -> float:
        return self.commission_bps / 1e4

    @property
    def slip(self) -> float:
        return self.slippage_bps / 1e4


@dataclass(frozen=True)
class Job:
    symbols: list[str]
    times: list[int]  # ms since epoch UTC, bar close times, strictly increasing
    open: list[list[float]]  # [symbol][bar]
    high: list[list[float]]
    low: list[list[float]]
    close: list[list[float]]
    weights: list[list[float]]  # [symbol][bar], negative = short
    rebalance: list[int]  # [bar] REBALANCE_NONE / REBALANCE_CHANGED / REBALANCE_ALL
    costs: Costs
    timing: str  # TIMING_CLOSE | TIMING_NEXT_CLOSE
    lot_size: int
    cash: float
    price_precision: int

    @property
    def bars(self) -> int:
        return len(self.times)


def _is_number(value: Any) -> bool:
    return isinstance(value, (int, float)) and not isinstance(value, bool)


def _number(value: Any, where: str, *, minimum: float | None = None, positive: bool = False) -> float:
    if not _is_number(value) or not math.isfinite(value):
        raise bad_job(f"{where} must be a finite number, got {_show(value)}.")
    if positive and value <= 0:
        raise bad_job(f"{where} must be greater than 0, got {value}.")
    if minimum is not None and value < minimum:
        raise bad_job(f"{where} must be at least {minimum}, got {value}.")
    return float(value)


def _show(value: Any) -> str:
    text = json.dumps(value) if not isinstance(value, float) else repr(value)
    return text if len(text) <= 40 else text[:37] + "..."


def _matrix(
    raw: dict[str, Any],
    name: str,
    symbols: list[str],
    bars: int,
    *,
    positive: bool,
    required: bool = True,
) -> list[list[float]] | None:
    """A [symbol][bar] table of finite numbers (optionally > 0)."""
    if name not in raw or raw[name] is None:
        if required:
            raise bad_job(f'"{name}" is missing: expected one list of {bars} numbers per symbol.')
        return None
    table = raw[name]
    if not isinstance(table, list) or len(table) != len(symbols):
        raise bad_job(f'"{name}" must be a list of {len(symbols)} lists (one per symbol).')
    out: list[list[float]] = []
    for s, row in enumerate(table):
        if not isinstance(row, list) or len(row) != bars:
            got = f"{len(row)} values" if isinstance(row, list) else _show(row)
            raise bad_job(f'"{name}" for {symbols[s]} must have {bars} values (one per time), got {got}.')
        values = [float(v) if _is_number(v) else math.nan for v in row]
        for t, v in enumerate(values):
            if not math.isfinite(v) or (positive and v <= 0):
                wanted = "a finite number greater than 0" if positive else "a finite number"
                raise bad_job(f'"{name}" for {symbols[s]} at bar {t} must be {wanted}, got {_show(row[t])}.')
        out.append(values)
    return out


def _decimals_needed(values: list[list[float]]) -> int:
    """Fewest decimals (up to MAX_PRICE_PRECISION) that represent every price exactly."""
    for decimals in range(MAX_PRICE_PRECISION + 1):
        scale = 10.0**decimals
        # Allow float noise: a few parts in 1e12 of the scaled value, never more than 1e-4 of the last digit.
        if all(abs(v * scale - round(v * scale)) <= min(1e-4, 1e-6 + 4e-12 * abs(v * scale)) for row in values for v in row):
            return decimals
    return MAX_PRICE_PRECISION


def parse_job(raw: Any) -> Job:
    """Validate a decoded job; raise QraftError with a one-sentence message on the first problem."""
    if not isinstance(raw, dict):
        raise bad_job("The job must be a JSON object.")

    version = raw.get("version")
    if version != JOB_VERSION:
        raise bad_job(f'"version" must be {JOB_VERSION}, got {_show(version)}.')

    timing = raw.get("timing")
    if timing not in TIMINGS:
        raise bad_job(f'"timing" must be one of {", ".join(TIMINGS)}, got {_show(timing)}.')
    if timing == TIMING_NEXT_OPEN:
        raise QraftError(
            ERROR_UNSUPPORTED_TIMING,
            "NautilusTrader has no next-bar-open execution; use next_close or close, or the built-in engine.",
        )

    symbols = raw.get("symbols")
    if not isinstance(symbols, list) or not symbols:
        raise bad_job('"symbols" must be a non-empty list of strings.')
    for s in symbols:
        if not isinstance(s, str) or not s.strip():
            raise bad_job(f'"symbols" must hold non-empty strings, got {_show(s)}.')
    if len(set(symbols)) != len(symbols):
        raise bad_job('"symbols" must not repeat a symbol.')

    times_raw = raw.get("times")
    if not isinstance(times_raw, list) or not times_raw:
        raise bad_job('"times" must be a non-empty list of millisecond timestamps.')
    times: list[int] = []
    for t, v in enumerate(times_raw):
        if not _is_number(v) or not math.isfinite(v) or v != int(v) or v < 0:
            raise bad_job(f'"times" at bar {t} must be a whole, non-negative number of milliseconds, got {_show(v)}.')
        if times and int(v) <= times[-1]:
            raise bad_job(f'"times" must be strictly increasing; bar {t} is not after bar {t - 1}.')
        times.append(int(v))
    bars = len(times)

    close = _matrix(raw, "close", symbols, bars, positive=True)
    assert close is not None
    open_ = _matrix(raw, "open", symbols, bars, positive=True, required=False) or close
    high = _matrix(raw, "high", symbols, bars, positive=True, required=False) or close
    low = _matrix(raw, "low", symbols, bars, positive=True, required=False) or close
    # Volume is accepted but not used: the runner feeds its own huge volume (see runner.py).
    weights = _matrix(raw, "weights", symbols, bars, positive=False)
    assert weights is not None

    rebalance_raw = raw.get("rebalance")
    if not isinstance(rebalance_raw, list) or len(rebalance_raw) != bars:
        raise bad_job(f'"rebalance" must be a list of {bars} values (0, 1 or 2, one per time).')
    rebalance: list[int] = []
    for t, v in enumerate(rebalance_raw):
        if v in (REBALANCE_NONE, REBALANCE_CHANGED, REBALANCE_ALL) and (_is_number(v) or isinstance(v, bool)):
            rebalance.append(int(v))
        else:
            raise bad_job(f'"rebalance" at bar {t} must be 0, 1 or 2, got {_show(v)}.')

    costs_raw = raw.get("costs")
    if not isinstance(costs_raw, dict):
        raise bad_job('"costs" must be an object with commission_bps, slippage_bps and min_commission.')
    costs = Costs(
        commission_bps=_number(costs_raw.get("commission_bps"), "costs.commission_bps", minimum=0.0),
        slippage_bps=_number(costs_raw.get("slippage_bps"), "costs.slippage_bps", minimum=0.0),
        min_commission=_number(costs_raw.get("min_commission", 0.0), "costs.min_commission", minimum=0.0),
    )
    if costs.slippage_bps >= 1e4:
        raise bad_job(f"costs.slippage_bps must be below 10000, got {costs.slippage_bps}.")

    lot = raw.get("lot_size", 1)
    if not _is_number(lot) or not math.isfinite(lot) or lot < 0:
        raise bad_job(f'"lot_size" must be a whole number of shares >= 1, got {_show(lot)}.')
    if lot == 0 or lot != int(lot):
        raise QraftError(
            ERROR_UNSUPPORTED,
            f"NautilusTrader Equity instruments trade whole shares, so lot_size must be a whole number >= 1 (got {lot}).",
        )

    cash = _number(raw.get("cash"), '"cash"', positive=True)
    if cash > MAX_CASH:
        raise QraftError(ERROR_UNSUPPORTED, f'"cash" of {cash} is above the supported maximum of {MAX_CASH:g}.')

    precision_raw = raw.get("price_precision")
    if precision_raw is None:
        price_precision = _decimals_needed(close)
    else:
        if not _is_number(precision_raw) or precision_raw != int(precision_raw) or not 0 <= precision_raw <= MAX_PRICE_PRECISION:
            raise bad_job(f'"price_precision" must be a whole number from 0 to {MAX_PRICE_PRECISION}, got {_show(precision_raw)}.')
        price_precision = int(precision_raw)

    smallest = min(min(row) for row in close)
    if round(smallest * 10**price_precision) < 1:
        raise bad_job(f"A close of {smallest} rounds to 0 with price_precision {price_precision}; raise the precision.")

    return Job(
        symbols=list(symbols),
        times=times,
        open=open_,
        high=high,
        low=low,
        close=close,
        weights=weights,
        rebalance=rebalance,
        costs=costs,
        timing=timing,
        lot_size=int(lot),
        cash=cash,
        price_precision=price_precision,
    )


def load_job(path: str) -> Job:
    """Read and validate a job file."""
    try:
        with open(path, encoding="utf-8") as handle:
            raw = json.load(handle)
    except FileNotFoundError:
        raise bad_job(f"The job file {path} does not exist.") from None
    except json.JSONDecodeError as exc:
        raise bad_job(f"The job file is not valid JSON ({exc.msg} at line {exc.lineno}, column {exc.colno}).") from None
    except (OSError, UnicodeDecodeError) as exc:
        raise bad_job(f"The job file {path} cannot be read ({exc}).") from None
    return parse_job(raw)
