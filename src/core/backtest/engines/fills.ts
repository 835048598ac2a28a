/**
 * Fills in columns (typed arrays grown geometrically): engines can emit millions of them without
 * allocating an object each. quantity is signed: + bought, − sold.
 */
export class FillLog {
  bar: Int32Array;
  symbol: Int32Array;
  quantity: Float64Array;
  price: Float64Array;
  commission: Float64Array;
  slippage: Float64Array;
  length = 0;

  /** `capacity`: the fills expected (an engine that can bound them allocates once, never grows). */
  constructor(capacity = 64) {
    const size = Math.max(16, Math.ceil(capacity));
    this.bar = new Int32Array(size);
    this.symbol = new Int32Array(size);
    this.quantity = new Float64Array(size);
    this.price = new Float64Array(size);
    this.commission = new Float64Array(size);
    this.slippage = new Float64Array(size);
  }

  /**
   * Empties the log for reuse, with room for `capacity` fills without growing: a caller that runs
   * many times and reads each log before the next run (the cost gate) keeps one log, not one per run.
   */
  reset(capacity: number): this {
    this.length = 0;
    if (this.bar.length < capacity) {
      const size = Math.ceil(capacity);
      this.bar = new Int32Array(size);
      this.symbol = new Int32Array(size);
      this.quantity = new Float64Array(size);
      this.price = new Float64Array(size);
      this.commission = new Float64Array(size);
      this.slippage = new Float64Array(size);
    }
    return this;
  }

  push(bar: number, symbol: number, quantity: number, price: number, commission: number, slippage: number): void {
    if (this.length === this.bar.length) this.grow();
    const index = this.length++;
    this.bar[index] = bar;
    this.symbol[index] = symbol;
    this.quantity[index] = quantity;
    this.price[index] = price;
    this.commission[index] = commission;
    this.slippage[index] = slippage;
  }

  private grow(): void {
    const size = this.bar.length * 2;
    const widen = <T extends Int32Array | Float64Array>(old: T, make: (n: number) => T): T => {
      const next = make(size);
      next.set(old);
      return next;
    };
    this.bar = widen(this.bar, (n) => new Int32Array(n));
    this.symbol = widen(this.symbol, (n) => new Int32Array(n));
    this.quantity = widen(this.quantity, (n) => new Float64Array(n));
    this.price = widen(this.price, (n) => new Float64Array(n));
    this.commission = widen(this.commission, (n) => new Float64Array(n));
    this.slippage = widen(this.slippage, (n) => new Float64Array(n));
  }
}
