/**
 * Equity and drawdown charts (uPlot, canvas). Colours come from the theme: each stroke is a
 * `--vscode-*` variable resolved through getComputedStyle, and the charts are rebuilt when the
 * theme changes.
 */
import uPlot from 'uplot';
import { el } from './dom';
import { l10n } from './l10n';
import { type TimedValues, alignSeries, seriesSummary } from './series';

export interface ChartLine {
  label: string;
  series: TimedValues;
}

export interface ChartSpec {
  title: string;
  lines: ChartLine[];
  /** Equity is cash (compact on the axis); drawdown is a positive fraction, drawn below zero. */
  kind: 'equity' | 'drawdown';
}

/** Line colours, in order, as theme variables (with a neutral fallback outside VS Code). */
const LINE_VARIABLES = ['--vscode-charts-blue', '--vscode-charts-orange', '--vscode-charts-purple', '--vscode-charts-green'];

let probe: HTMLElement | undefined;

/** Resolves a CSS colour variable to an `rgb()`/`rgba()` string the canvas understands. */
export function themeColor(variable: string, fallback: string): string {
  if (!probe) {
    probe = el('span', { className: 'color-probe', attrs: { 'aria-hidden': 'true' } });
    document.body.appendChild(probe);
  }
  probe.style.color = fallback;
  probe.style.color = `var(${variable}, ${fallback})`;
  return getComputedStyle(probe).color || fallback;
}

/** The same colour with an alpha (for area fills). */
function withAlpha(color: string, alpha: number): string {
  const match = /^rgba?\(\s*([\d.]+)[\s,]+([\d.]+)[\s,]+([\d.]+)/.exec(color);
  return match ? `rgba(${match[1]}, ${match[2]}, ${match[3]}, ${alpha})` : color;
}

function cssVariable(name: string, fallback: string): string {
  const value = getComputedStyle(document.documentElement).getPropertyValue(name).trim();
  return value || fallback;
}

const compactCash = new Intl.NumberFormat('en-US', { notation: 'compact', maximumFractionDigits: 2 });
const fullCash = new Intl.NumberFormat('en-US', { maximumFractionDigits: 0 });

function formatValue(kind: ChartSpec['kind'], value: number | null | undefined, compact: boolean, decimals = 2): string {
  if (value === null || value === undefined || !Number.isFinite(value)) return '–';
  if (kind === 'drawdown') {
    const text = (value * 100).toFixed(decimals);
    return `${/^-0(\.0+)?$/.test(text) ? text.slice(1) : text}%`;
  }
  return compact ? compactCash.format(value) : fullCash.format(value);
}

/** Decimals that tell axis ticks apart: a 2.5% step needs one, a 5% step none. */
function tickDecimals(splits: number[]): number {
  const step = splits.length > 1 ? Math.abs(splits[1] - splits[0]) * 100 : 1;
  const fraction = step.toFixed(6).replace(/0+$/, '').split('.')[1] ?? '';
  return Math.min(4, fraction.length);
}

/** A one-sentence text equivalent of a chart, for screen readers and the tooltip. */
function describe(spec: ChartSpec): string {
  const parts = spec.lines.map((line) => {
    const summary = seriesSummary(line.series.values);
    if (!summary) return l10n.t('{0}: no data', line.label);
    if (spec.kind === 'drawdown') return l10n.t('{0}: worst {1}', line.label, formatValue('drawdown', -summary.max, false));
    return l10n.t('{0}: {1} to {2} (low {3}, high {4})', line.label, formatValue('equity', summary.first, false), formatValue('equity', summary.last, false), formatValue('equity', summary.min, false), formatValue('equity', summary.max, false));
  });
  return `${spec.title}. ${parts.join('; ')}.`;
}

const CHART_HEIGHT = 220;
const SYNC_KEY = 'qraft-report';

function buildOptions(spec: ChartSpec, width: number): uPlot.Options {
  const muted = themeColor('--vscode-descriptionForeground', '#999999');
  const grid = withAlpha(themeColor('--vscode-charts-lines', '#808080'), 0.25);
  const family = cssVariable('--vscode-font-family', 'sans-serif');
  const size = cssVariable('--vscode-editor-font-size', '12px');
  const font = `${/^\d+(\.\d+)?px$/.test(size) ? size : '12px'} ${family}`;
  const axis = (values: uPlot.Axis['values']): uPlot.Axis => ({
    stroke: muted,
    font,
    grid: { stroke: grid, width: 1 },
    ticks: { stroke: grid, width: 1 },
    ...(values ? { values } : {}),
  });
  return {
    width,
    height: CHART_HEIGHT,
    // Report times are UTC midnights: show them as UTC dates, whatever the local zone.
    tzDate: (seconds) => uPlot.tzDate(new Date(seconds * 1000), 'Etc/UTC'),
    scales: { x: { time: true } },
    cursor: { sync: { key: SYNC_KEY }, drag: { x: true, y: false } },
    legend: { show: true, live: true },
    series: [
      { label: l10n.t('date'), value: (_u, seconds) => (seconds == null ? '–' : new Date(seconds * 1000).toISOString().slice(0, 10)) },
      ...spec.lines.map((line, index): uPlot.Series => {
        const color = themeColor(LINE_VARIABLES[index % LINE_VARIABLES.length], index === 0 ? '#3794ff' : '#d18616');
        return {
          label: line.label,
          stroke: color,
          width: 1.5,
          spanGaps: true,
          points: { show: false },
          // Engines often agree to the pixel: dash the second line so the first shows through.
          ...(index > 0 ? { dash: [6, 4] } : {}),
          ...(spec.kind === 'drawdown' && index === 0 ? { fill: withAlpha(color, 0.15) } : {}),
          value: (_u, value) => formatValue(spec.kind, value, false),
        };
      }),
    ],
    axes: [
      { ...axis(undefined), stroke: muted },
      {
        ...axis((_u, splits) => {
          const decimals = tickDecimals(splits);
          return splits.map((value) => formatValue(spec.kind, value, true, decimals));
        }),
        size: 64,
      },
    ],
  };
}

export interface ReportChart {
  element: HTMLElement;
  /** Draws (or redraws) the chart; call after the element is in the document. */
  draw(): void;
  destroy(): void;
}

export function createChart(spec: ChartSpec): ReportChart {
  const description = describe(spec);
  const host = el('div', { className: 'chart-canvas' });
  const element = el(
    'figure',
    { className: 'chart', attrs: { role: 'img', 'aria-label': description } },
    el('figcaption', { text: spec.title, title: description }),
    host,
  );
  const aligned = alignSeries(
    spec.lines.map((line) => line.series),
    spec.kind === 'drawdown' ? (value) => -Math.abs(value) : undefined,
  );
  const data: uPlot.AlignedData = [aligned.xs, ...aligned.ys];
  let plot: uPlot | undefined;
  let observer: ResizeObserver | undefined;
  const width = () => Math.max(240, Math.floor(host.clientWidth || element.clientWidth || 600));
  return {
    element,
    draw() {
      plot?.destroy();
      if (aligned.xs.length === 0) {
        host.textContent = l10n.t('No data to chart.');
        return;
      }
      plot = new uPlot(buildOptions(spec, width()), data, host);
      if (!observer) {
        observer = new ResizeObserver(() => {
          if (plot && Math.abs(plot.width - width()) > 2) plot.setSize({ width: width(), height: CHART_HEIGHT });
        });
        observer.observe(host);
      }
    },
    destroy() {
      observer?.disconnect();
      observer = undefined;
      plot?.destroy();
      plot = undefined;
    },
  };
}
