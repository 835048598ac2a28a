/**
 * Prices for a universe on one common calendar, one typed array per symbol and field
 * (column-major: signals scan a symbol's history; engines index [symbol][bar]).
 */
export interface PriceFrame {
  /** Universe order. */
  symbols: string[];
  /** Bar timestamps, ms since the epoch (UTC), strictly increasing. */
  times: Float64Array;
  open: Float64Array[];
  high: Float64Array[];
  low: Float64Array[];
  close: Float64Array[];
  volume: Float64Array[];
  /** Where the data came from: the file(s) and their sha256, the data fingerprint of reports. */
  source: PriceSource;
}

export interface PriceSource {
  paths: string[];
  /** sha256 of the price file's bytes (of the concatenated hashes when there are several files). */
  fingerprint: string;
  /** Rows read per symbol, and rows dropped by alignment to the common calendar. */
  rows: Record<string, number>;
  dropped: Record<string, number>;
}

/** A new frame with bars [start, end) (indices), sharing the source description. */
export function sliceFrame(frame: PriceFrame, start: number, end: number): PriceFrame {
  const cut = (columns: Float64Array[]) => columns.map((column) => column.subarray(start, end));
  return {
    symbols: frame.symbols,
    times: frame.times.subarray(start, end),
    open: cut(frame.open),
    high: cut(frame.high),
    low: cut(frame.low),
    close: cut(frame.close),
    volume: cut(frame.volume),
    source: frame.source,
  };
}
