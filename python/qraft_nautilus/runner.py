"""Runs a Qraft job through NautilusTrader's BacktestEngine.

Setup: one simulated venue (SIM), a MARGIN account in USD holding the job's cash (leverage 1, and
instruments whose initial and maintenance margin are 100% of the notional), one ``Equity``
instrument per symbol (whole shares), LAST bars with the job's prices, and ``QraftStrategy``,
which sizes and submits MARKET orders when every symbol's bar of a time step has arrived.
Nautilus fills those orders at that bar's close; its fee model (``QraftFeeModel``) charges the
commission plus the slippage as one fee, so the account moves as in Qraft's built-in engine,
where the slippage is a worse price instead (the fee's rounding to cents is diffused so that
Nautilus's books hold the built-in engine's cash to the half-cent after every fill; see the fee
model).

Why a margin account: a CASH account refuses short sales, and stops the whole run as soon as its
balance would go below zero, which Nautilus's cent arithmetic can do when a buy leaves the float
model a fraction of a cent. A margin account sells short, and its balance is the starting cash
plus realized PnL minus fees (the notional of a trade is not booked), so it never stops a run.
Its cash, as the built-in engine counts it, is that balance minus the cost of the open positions
(signed quantity x average open price); ``nautilus_cash`` computes it. Buys are still limited by
the cash on hand exactly as in the built-in engine: the strategy's mirror of the built-in rules
sizes every order, so the account never borrows more than the built-in engine would.

Nautilus behaviours set aside on purpose:

* Volume. A bar becomes four trade ticks with a quarter of its volume each, and a MARKET order
  larger than that fills its rest one price increment worse. The bars are therefore fed with a
  huge, constant volume (``FEED_VOLUME``) instead of the job's volume, so every order fills
  whole at the close; an order larger than one tick's volume stops the run (ERROR_UNSUPPORTED).
* The pre-trade risk check. With bars only, the risk engine has no quote or trade tick to price
  a MARKET order and skips its balance check anyway (with a warning per order); were it to
  check, the buys would be measured against a balance that does not yet hold the proceeds of
  the sells submitted just before them (commands reach the venue through its message queue
  after ``on_bar`` returns). It is bypassed: the strategy's cash mirror does the affordability
  check (buys are cut to what the cash covers, fees included), as the built-in engine does.
"""

from __future__ import annotations

import math
import time
from decimal import ROUND_HALF_EVEN, Decimal
from typing import Any

from .job import Job, QraftError
from .names import ERROR_NAUTILUS_ERROR, ERROR_NAUTILUS_MISSING, ERROR_UNSUPPORTED, REBALANCE_ALL, REBALANCE_NONE, TIMING_CLOSE

VENUE = "SIM"
# Volume given to every bar: a quarter of it (one trade tick) must exceed any order.
FEED_VOLUME = 10_000_000_000_000.0  # 1e13 shares; NautilusTrader's Quantity holds up to ~3.4e13
TICK_VOLUME = FEED_VOLUME / 4.0
NS_PER_MS = 1_000_000
# Largest change error-diffusion rounding may make to a fee against plain rounding (see
# QraftFeeModel). The diffused fee is within 1.5 cents of the exact one (the half-cent gap left by
# the previous fill, the half-cent rounding of this fill's realized PnL, its own rounding), plain
# rounding within half a cent, and both are whole cents: at most 2 cents apart.
MAX_FEE_ADJUSTMENT = Decimal("0.02")
CENT = Decimal("0.01")
# Initial and maintenance margin of every instrument, as a fraction of the notional: with
# leverage 1 a position locks its whole value (informational: nothing is liquidated, and the
# account's free balance is clamped at zero rather than stopping the run).
MARGIN_RATE = Decimal(1)
LEVERAGE = Decimal(1)


def _clip(text: str, limit: int = 300) -> str:
    text = " ".join(text.split()).rstrip(".")
    return text if len(text) <= limit else text[: limit - 3] + "..."


def round_to_lots(quantity: float, lot: int) -> float:
    """Toward zero to whole lots; the 1e-9 nudge keeps 99.99999999 lots from losing a lot."""
    lots = math.trunc(quantity / lot + (1e-9 if quantity >= 0 else -1e-9))
    return float(lots * lot)


class Mirror:
    """Qraft's built-in sizing rules, kept in floats exactly as the TypeScript engine does.

    On a REBALANCE_CHANGED bar only the symbols whose target differs (exactly) from the previous
    bar's are re-sized; the others keep their position, so a sleeve is never traded for drift.
    A REBALANCE_ALL bar re-sizes every symbol.

    ``orders_for(bar)`` returns the orders of one rebalance (sells first, then buys) as
    (symbol index, signed quantity, model cash after the fill) and updates positions and cash.
    """

    def __init__(self, job: Job) -> None:
        self.job = job
        self.positions = [0.0] * len(job.symbols)
        self.cash = job.cash
        self.slip = job.costs.slip
        self.rate = job.costs.commission_rate
        self.min_commission = job.costs.min_commission

    def commission_for(self, notional: float) -> float:
        return max(self.min_commission, self.rate * notional)

    def signal_bar(self, bar: int) -> int:
        return bar if self.job.timing == TIMING_CLOSE else bar - 1

    def orders_for(self, bar: int) -> list[tuple[int, float, float]]:
        job = self.job
        signal = self.signal_bar(bar)
        if signal < 0 or job.rebalance[signal] == REBALANCE_NONE:
            return []
        everything = job.rebalance[signal] == REBALANCE_ALL
        n = len(job.symbols)
        prices = [job.close[s][bar] for s in range(n)]
        positions = self.positions
        equity = self.cash
        for s in range(n):
            equity += positions[s] * prices[s]
        desired = [
            round_to_lots((job.weights[s][signal] * equity) / prices[s], job.lot_size)
            if everything or job.weights[s][signal] != (job.weights[s][signal - 1] if signal > 0 else 0.0)
            else positions[s]
            for s in range(n)
        ]
        orders: list[tuple[int, float, float]] = []
        for s in range(n):
            delta = desired[s] - positions[s]
            if delta >= 0:
                continue
            executed = prices[s] * (1 - self.slip)
            commission = self.commission_for(-delta * executed)
            self.cash += -delta * executed - commission
            positions[s] = desired[s]
            orders.append((s, delta, self.cash))
        tolerance = 1e-9 * max(1.0, abs(equity))
        for s in range(n):
            delta = desired[s] - positions[s]
            if delta <= 0:
                continue
            executed = prices[s] * (1 + self.slip)
            if delta * executed + self.commission_for(delta * executed) > self.cash + tolerance:
                affordable = min(
                    self.cash / (executed * (1 + self.rate)),
                    (self.cash - self.min_commission) / executed,
                )
                delta = float(math.floor(affordable / job.lot_size) * job.lot_size)
                if delta <= 0:
                    continue
            commission = self.commission_for(delta * executed)
            self.cash -= delta * executed + commission
            positions[s] += delta
            orders.append((s, delta, self.cash))
        return orders


def _bar_spec(times_ms: list[int]) -> str:
    """A bar specification matching the data's spacing (informational for EXTERNAL bars)."""
    if len(times_ms) < 2:
        return "1-DAY"
    gaps = sorted(b - a for a, b in zip(times_ms, times_ms[1:]))
    step = gaps[len(gaps) // 2]
    for unit_ms, unit in ((86_400_000, "DAY"), (3_600_000, "HOUR"), (60_000, "MINUTE"), (1_000, "SECOND")):
        if step >= unit_ms and step % unit_ms == 0:
            # Whole days (daily, weekly, ...) are all called 1-DAY; Nautilus does not check it.
            return f"{1 if unit == 'DAY' else step // unit_ms}-{unit}"
    return "1-DAY"


def run_job(job: Job) -> dict[str, Any]:
    """Run the job; return the success document (raises QraftError on failure)."""
    started = time.perf_counter()
    try:
        import nautilus_trader
        import pandas as pd
        from nautilus_trader.backtest.engine import BacktestEngine
        from nautilus_trader.backtest.engine import BacktestEngineConfig
        from nautilus_trader.backtest.models import FeeModel
        from nautilus_trader.backtest.models import FillModel
        from nautilus_trader.config import LoggingConfig
        from nautilus_trader.config import RiskEngineConfig
        from nautilus_trader.config import StrategyConfig
        from nautilus_trader.model.currencies import USD
        from nautilus_trader.model.data import BarType
        from nautilus_trader.model.enums import AccountType
        from nautilus_trader.model.enums import OmsType
        from nautilus_trader.model.enums import OrderSide
        from nautilus_trader.model.identifiers import InstrumentId
        from nautilus_trader.model.identifiers import Symbol
        from nautilus_trader.model.identifiers import Venue
        from nautilus_trader.model.instruments import Equity
        from nautilus_trader.model.objects import Money
        from nautilus_trader.model.objects import Price
        from nautilus_trader.model.objects import Quantity
        from nautilus_trader.persistence.wranglers import BarDataWrangler
        from nautilus_trader.trading.strategy import Strategy
    except ImportError as exc:
        raise QraftError(ERROR_NAUTILUS_MISSING, f"nautilus_trader cannot be imported ({exc}).") from exc

    n_symbols = len(job.symbols)
    slip = job.costs.slip
    rate = job.costs.commission_rate
    min_commission = job.costs.min_commission

    def nautilus_cash() -> Decimal:
        """The account's cash as the built-in engine counts it (start - traded notional - fees).

        A margin account's balance is the starting cash plus realized PnL minus fees; taking off
        the cost of the open positions (signed quantity x average open price) gives the cash.
        """
        balance = engine.cache.account_for_venue(venue).balance_total(USD).as_decimal()
        for position in engine.cache.positions_open(venue=venue):
            balance -= Decimal(position.signed_qty) * Decimal(position.avg_px_open)
        return balance

    class QraftFeeModel(FeeModel):
        """Commission max(min, rate x executed notional) plus slippage slip x notional, as one fee.

        executed = fill price x (1 + slip) for buys, x (1 - slip) for sells: the commission is on
        the slipped notional, as in the built-in engine, so the cash moves as it does there.

        Nautilus books money in cents: each fee and each realized PnL is rounded, so plain
        rounding lets its books drift from the float model by a random walk of half-cents. The
        fee is therefore rounded by error diffusion: the cent amount that leaves Nautilus's cash
        (``nautilus_cash``) equal to the model's cash after this fill, to the half-cent, counting
        the rounding of the PnL Nautilus is about to realize (the account is updated from the
        position as it was before the fill, with ``Position.calculate_pnl``, as done here). It
        stays within MAX_FEE_ADJUSTMENT of commission + slippage (else plain rounding is used and
        counted). A zero fee stays zero: a run without costs pays nothing, and its books drift by
        the realized PnL's rounding alone.
        """

        def __init__(self) -> None:
            super().__init__()
            self.parts: dict[str, tuple[float, float]] = {}
            self.expected_cash: dict[str, float] = {}
            self.max_adjustment = Decimal(0)
            self.untracked = 0

        def get_commission(self, order, fill_qty, fill_px, instrument):  # noqa: ANN001
            # as_decimal, not as_double: the latter divides the fixed-point raw value and can
            # give 60124.99999999999 for 60125.
            quantity = float(fill_qty.as_decimal())
            price = float(fill_px.as_decimal())
            buy = order.side == OrderSide.BUY
            executed_notional = quantity * price * (1.0 + slip if buy else 1.0 - slip)
            commission = max(min_commission, rate * executed_notional)
            slippage = quantity * price * slip
            key = order.client_order_id.value
            self.parts[key] = (commission, slippage)
            expected = self.expected_cash.pop(key, None)
            if commission + slippage == 0:
                return Money(0, USD)
            fee = Money(commission + slippage, USD)
            if expected is None:
                self.untracked += 1
                return fee
            notional = fill_px.as_decimal() * fill_qty.as_decimal()
            diffused = nautilus_cash() + (-notional if buy else notional) + self._pnl_rounding(order, fill_qty, fill_px, instrument) - Decimal(expected)
            diffused = diffused.quantize(CENT, rounding=ROUND_HALF_EVEN)
            adjustment = abs(diffused - fee.as_decimal())
            if diffused < 0 or adjustment > MAX_FEE_ADJUSTMENT:
                self.untracked += 1
                return fee
            self.max_adjustment = max(self.max_adjustment, adjustment)
            return Money(diffused, USD)

        @staticmethod
        def _pnl_rounding(order, fill_qty, fill_px, instrument) -> Decimal:  # noqa: ANN001
            """Booked minus exact PnL of a fill that reduces (or flips) a position, else 0.

            Mirrors NautilusTrader's AccountsManager.update_balances and MarginAccount.calculate_pnls.
            """
            positions = engine.cache.positions_open(venue=None, instrument_id=instrument.id)
            if not positions:
                return Decimal(0)
            position = positions[0]
            if position.quantity.as_double() == 0 or position.entry == order.side:
                return Decimal(0)
            closed = Quantity(min(fill_qty.as_double(), position.quantity.as_double()), fill_qty.precision)
            booked = position.calculate_pnl(position.avg_px_open, fill_px.as_double(), closed).as_decimal()
            direction = 1 if position.entry == OrderSide.BUY else -1
            exact = (Decimal(fill_px.as_double()) - Decimal(position.avg_px_open)) * closed.as_decimal() * direction
            return booked - exact

    venue = Venue(VENUE)
    precision = job.price_precision
    increment = Price(10.0**-precision, precision)
    instruments = []
    for i, symbol in enumerate(job.symbols):
        # Internal tickers keep any user symbol (spaces, dots, unicode) out of Nautilus identifiers.
        ticker = f"Q{i}"
        instruments.append(
            Equity(
                instrument_id=InstrumentId(Symbol(ticker), venue),
                raw_symbol=Symbol(ticker),
                currency=USD,
                price_precision=precision,
                price_increment=increment,
                lot_size=Quantity.from_int(1),
                ts_event=0,
                ts_init=0,
                maker_fee=None,
                taker_fee=None,
                margin_init=MARGIN_RATE,
                margin_maint=MARGIN_RATE,
            ),
        )

    spec = _bar_spec(job.times)
    bar_types = [BarType.from_str(f"{inst.id}-{spec}-LAST-EXTERNAL") for inst in instruments]
    index = pd.to_datetime(pd.Series(job.times, dtype="int64"), unit="ms", utc=True)
    index = pd.DatetimeIndex(index, name="timestamp")
    ts_to_bar = {t * NS_PER_MS: bar for bar, t in enumerate(job.times)}

    try:
        config = BacktestEngineConfig(
            trader_id="QRAFT-001",
            logging=LoggingConfig(log_level="ERROR", bypass_logging=True),
            risk_engine=RiskEngineConfig(bypass=True),
            run_analysis=False,
        )
        engine = BacktestEngine(config=config)
        fee_model = QraftFeeModel()
        engine.add_venue(
            venue=venue,
            oms_type=OmsType.NETTING,
            account_type=AccountType.MARGIN,
            starting_balances=[Money(job.cash, USD)],
            base_currency=USD,
            default_leverage=LEVERAGE,
            fill_model=FillModel(prob_fill_on_limit=1.0, prob_slippage=0.0, random_seed=1),
            fee_model=fee_model,
            bar_execution=True,
        )
        for inst in instruments:
            engine.add_instrument(inst)
        for s, (inst, bar_type) in enumerate(zip(instruments, bar_types)):
            opens, highs, lows, closes = job.open[s], job.high[s], job.low[s], job.close[s]
            # Nautilus requires low <= open, close <= high: widen the range where the data does not.
            frame = pd.DataFrame(
                {
                    "open": opens,
                    "high": [max(o, h, l, c) for o, h, l, c in zip(opens, highs, lows, closes)],
                    "low": [min(o, h, l, c) for o, h, l, c in zip(opens, highs, lows, closes)],
                    "close": closes,
                    "volume": FEED_VOLUME,
                },
                index=index,
            )
            bars = BarDataWrangler(bar_type, inst).process(frame)
            engine.add_data(bars, sort=(s == n_symbols - 1))
    except QraftError:
        raise
    except Exception as exc:  # noqa: BLE001
        raise QraftError(ERROR_NAUTILUS_ERROR, f"NautilusTrader setup failed: {type(exc).__name__}: {_clip(str(exc))}") from exc

    mirror = Mirror(job)
    instrument_ids = [inst.id for inst in instruments]
    symbol_of = {inst.id.value: job.symbols[i] for i, inst in enumerate(instruments)}

    class QraftStrategy(Strategy):
        """Buffers the bars of one timestamp; when all symbols are in, rebalances like Qraft."""

        def __init__(self) -> None:
            super().__init__(StrategyConfig(strategy_id="QRAFT-001", order_id_tag="001"))
            self.current_ts = -1
            self.seen = 0
            self.submitted = 0
            self.ordered: dict[str, int] = {}  # client order id -> quantity
            self.fills: list[Any] = []
            self.problems: list[str] = []
            self.max_cash_gap = 0.0

        def on_start(self) -> None:
            for bar_type in bar_types:
                self.subscribe_bars(bar_type)

        def on_bar(self, bar) -> None:  # noqa: ANN001
            ts = bar.ts_event
            if ts != self.current_ts:
                self.current_ts = ts
                self.seen = 0
            self.seen += 1
            if self.seen != n_symbols:
                return
            bar_index = ts_to_bar[ts]
            signal = mirror.signal_bar(bar_index)
            if signal < 0 or job.rebalance[signal] == REBALANCE_NONE:
                return
            self._check_cash()
            for s, delta, cash_after in mirror.orders_for(bar_index):
                quantity = abs(delta)
                if quantity >= TICK_VOLUME:
                    raise QraftError(
                        ERROR_UNSUPPORTED,
                        f"An order for {quantity:g} shares of {job.symbols[s]} at bar {bar_index} exceeds the simulated bar volume.",
                    )
                order = self.order_factory.market(
                    instrument_id=instrument_ids[s],
                    order_side=OrderSide.BUY if delta > 0 else OrderSide.SELL,
                    quantity=Quantity.from_int(int(quantity)),
                )
                fee_model.expected_cash[order.client_order_id.value] = cash_after
                self.ordered[order.client_order_id.value] = int(quantity)
                self.submit_order(order)
                self.submitted += 1

        def _check_cash(self) -> None:
            # The previous rebalance has settled by now: compare Nautilus's cash with the mirror's.
            self.max_cash_gap = max(self.max_cash_gap, abs(float(nautilus_cash()) - mirror.cash))

        def on_order_filled(self, event) -> None:  # noqa: ANN001
            self.fills.append(event)

        def on_order_rejected(self, event) -> None:  # noqa: ANN001
            self.problems.append(f"order {event.client_order_id} rejected: {event.reason}")

        def on_order_denied(self, event) -> None:  # noqa: ANN001
            self.problems.append(f"order {event.client_order_id} denied: {event.reason}")

    strategy = QraftStrategy()
    setup_ms = (time.perf_counter() - started) * 1000.0
    try:
        try:
            engine.add_strategy(strategy)
            run_started = time.perf_counter()
            engine.run()
            run_ms = (time.perf_counter() - run_started) * 1000.0
        except QraftError:
            raise
        except Exception as exc:  # noqa: BLE001
            if isinstance(exc.__cause__, QraftError):
                raise exc.__cause__ from exc
            raise QraftError(
                ERROR_NAUTILUS_ERROR,
                f"NautilusTrader failed during the run: {type(exc).__name__}: {_clip(str(exc))}",
            ) from exc
        return _collect(job, engine, venue, strategy, fee_model, mirror, symbol_of, ts_to_bar, float(nautilus_cash()), started, setup_ms, run_ms)
    finally:
        try:
            engine.dispose()
        except Exception:  # noqa: BLE001 - nothing useful to report after the results are in
            pass


def _collect(job, engine, venue, strategy, fee_model, mirror, symbol_of, ts_to_bar, final_cash, started, setup_ms, run_ms):  # noqa: ANN001, ANN202, PLR0913
    """Turn the strategy's OrderFilled events and the account into the output document."""
    import nautilus_trader
    from nautilus_trader.model.currencies import USD
    from nautilus_trader.model.enums import OrderSide
    from nautilus_trader.model.objects import Price

    slip = job.costs.slip
    if strategy.problems:
        raise QraftError(ERROR_NAUTILUS_ERROR, f"NautilusTrader did not fill every order: {_clip(strategy.problems[0])}.")
    filled_orders = {event.client_order_id.value for event in strategy.fills}
    if len(filled_orders) != strategy.submitted or len(strategy.fills) != strategy.submitted:
        raise QraftError(
            ERROR_NAUTILUS_ERROR,
            f"NautilusTrader filled {len(strategy.fills)} times for {strategy.submitted} orders: it stopped the run "
            "early or split an order.",
        )
    column = {symbol: s for s, symbol in enumerate(job.symbols)}
    account = engine.cache.account_for_venue(venue)
    final_balance = account.balance_total(USD).as_decimal()
    # Nautilus's own mark to market at the last close: balance + unrealized PnL of the open positions.
    last = job.bars - 1
    final_equity = final_balance
    for position in engine.cache.positions_open(venue=venue):
        s = column[symbol_of[position.instrument_id.value]]
        final_equity += position.unrealized_pnl(Price(job.close[s][last], job.price_precision)).as_decimal()
    model_final_equity = mirror.cash + sum(q * job.close[s][last] for s, q in enumerate(mirror.positions))
    fills = []
    positions = [0] * len(job.symbols)
    half_increment = 0.5 * 10.0**-job.price_precision + 1e-12
    for event in strategy.fills:
        bar_index = ts_to_bar.get(event.ts_event)
        if bar_index is None:
            raise QraftError(ERROR_NAUTILUS_ERROR, f"NautilusTrader reported a fill at {event.ts_event} ns, which is no bar's time.")
        symbol = symbol_of[event.instrument_id.value]
        quantity = int(event.last_qty.as_decimal())
        price = float(event.last_px.as_decimal())
        buy = event.order_side == OrderSide.BUY
        commission, slippage = fee_model.parts[event.client_order_id.value]
        if quantity != strategy.ordered.get(event.client_order_id.value):
            raise QraftError(
                ERROR_NAUTILUS_ERROR,
                f"NautilusTrader filled {quantity} shares of {symbol} at bar {bar_index} for an order of "
                f"{strategy.ordered.get(event.client_order_id.value)}.",
            )
        s = column[symbol]
        if abs(price - job.close[s][bar_index]) > half_increment:
            raise QraftError(
                ERROR_NAUTILUS_ERROR,
                f"NautilusTrader filled {symbol} at bar {bar_index} at {price}, not at the close {job.close[s][bar_index]}.",
            )
        positions[s] += quantity if buy else -quantity
        fills.append(
            {
                "bar": bar_index,
                "symbol": symbol,
                "side": "BUY" if buy else "SELL",
                "quantity": quantity,
                "price": price,
                "commission": float(event.commission.as_decimal()),
                "ts": event.ts_event // NS_PER_MS,
                "executed_price": price * (1 + slip if buy else 1 - slip),
                "broker_commission": commission,
                "slippage": slippage,
            },
        )
    return {
        "ok": True,
        "nautilus_trader": nautilus_trader.__version__,
        "fills": fills,
        "account": "MARGIN",
        "final_balance": float(final_balance),
        "final_cash": final_cash,
        "final_equity": float(final_equity),
        "final_positions": dict(zip(job.symbols, positions)),
        "model_final_cash": mirror.cash,
        "model_final_equity": model_final_equity,
        "max_cash_gap": max(strategy.max_cash_gap, abs(final_cash - mirror.cash)),
        "max_fee_adjustment": float(fee_model.max_adjustment),
        "fees_rounded_plainly": fee_model.untracked,
        "bars": job.bars,
        "price_precision": job.price_precision,
        "setup_ms": round(setup_ms, 3),
        "run_ms": round(run_ms, 3),
        "elapsed_ms": round((time.perf_counter() - started) * 1000.0, 3),
    }
