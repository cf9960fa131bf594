import {
  ADAPTER_ALONE,
  crashRatio,
  dbosStepRatio,
  floorRatio,
  type Results,
  rerunOf,
  throughputRatio,
} from '../results.ts';
import { DBOS_CRASH, NAIVE_CRASH } from '../sections/crash.ts';

interface Bar {
  readonly label: string;
  readonly value: number;
  readonly color: string;
}

interface Panel {
  readonly title: string;
  readonly bars: readonly Bar[];
  /** Vertical reference lines (targets), with their labels. */
  readonly marks: readonly { readonly at: number; readonly label: string }[];
  readonly unit: string;
}

const WIDTH = 760;
const LABEL_W = 300;
const BAR_H = 22;
const GAP = 8;
const PLOT_W = WIDTH - LABEL_W - 70;

const xmlText = (text: string): string =>
  text.replace(/&/g, '&amp;').replace(/</g, '&lt;').replace(/>/g, '&gt;').replace(/"/g, '&quot;');

const panelSvg = (panel: Panel, top: number): { svg: string; height: number } => {
  const finite = panel.bars.filter((b) => Number.isFinite(b.value));
  const max = Math.max(1, ...finite.map((b) => b.value), ...panel.marks.map((m) => m.at)) * 1.1;
  const x = (v: number) => LABEL_W + (v / max) * PLOT_W;
  const parts: string[] = [
    `<text x="10" y="${top + 16}" font-size="15" font-weight="bold">${xmlText(panel.title)}</text>`,
  ];
  const barsTop = top + 30;
  panel.bars.forEach((bar, i) => {
    const y = barsTop + i * (BAR_H + GAP);
    const value = Number.isFinite(bar.value) ? bar.value : 0;
    parts.push(
      `<text x="${LABEL_W - 8}" y="${y + 15}" font-size="12" text-anchor="end">${xmlText(bar.label)}</text>`,
      `<rect x="${LABEL_W}" y="${y}" width="${Math.max(1, x(value) - LABEL_W).toFixed(1)}" height="${BAR_H}" fill="${bar.color}"/>`,
      `<text x="${(x(value) + 6).toFixed(1)}" y="${y + 15}" font-size="12">${Number.isFinite(bar.value) ? `${bar.value.toFixed(2)}${panel.unit}` : 'n/a'}</text>`,
    );
  });
  const bottom = barsTop + panel.bars.length * (BAR_H + GAP);
  for (const mark of panel.marks) {
    parts.push(
      `<line x1="${x(mark.at).toFixed(1)}" y1="${barsTop - 4}" x2="${x(mark.at).toFixed(1)}" y2="${bottom}" stroke="#444" stroke-dasharray="4 3"/>`,
      `<text x="${x(mark.at).toFixed(1)}" y="${bottom + 14}" font-size="11" text-anchor="middle">${xmlText(mark.label)}</text>`,
    );
  }
  return { svg: parts.join('\n'), height: bottom + 30 - top };
};

const DX = '#2b7bb9';
const DBOS = '#c0504d';

/** The chart of docs/benchmarks.md, drawn from the same numbers as its tables. */
export const chartSvg = (results: Results): string => {
  const by = (name: string) => results.backends.find((b) => b.backend === name);
  const pg = by('postgres');
  const pgFloor = pg?.steps.rows.find((r) => r.variant.startsWith('floor'));
  const pgDbos = pg?.steps.rows.find((r) => r.variant.startsWith('DBOS'));
  const stepBars: Bar[] = [];
  for (const name of ['sqlite', 'postgres', 'redis', 'sqlite-fsync', 'postgres-fsync']) {
    if (!by(name)) continue;
    stepBars.push({
      label: `${name}: the adapter's step write`,
      value: floorRatio(by(name), 'medianMs', ADAPTER_ALONE),
      color: DX,
    });
    stepBars.push({ label: `${name}: a step through the core`, value: floorRatio(by(name)), color: DX });
  }
  if (pgFloor && pgDbos)
    stepBars.push({
      label: 'DBOS Transact 5.3 on postgres',
      value: pgDbos.medianMs / pgFloor.medianMs,
      color: DBOS,
    });
  const dxRerun = rerunOf(results, 'postgres', 'durable-x');
  const dbosRerun = rerunOf(results, 'postgres', 'DBOS');
  const versus: Bar[] = [
    { label: 'per step: DBOS time ÷ durable-x time', value: dbosStepRatio(results), color: DX },
    { label: 'throughput, concurrency 1: durable-x ÷ DBOS', value: throughputRatio(results, 1), color: DX },
    { label: 'throughput, concurrency 16: durable-x ÷ DBOS', value: throughputRatio(results, 16), color: DX },
    {
      label: 'concurrency 16: durable-x ÷ naive engine (postgres)',
      value: throughputRatio(results, 16, 'naive engine'),
      color: DX,
    },
    {
      label: 'concurrency 16: durable-x ÷ naive engine (sqlite)',
      value: throughputRatio(results, 16, 'naive engine', 'sqlite'),
      color: DX,
    },
    {
      label: 're-run of a completed run: DBOS ÷ durable-x',
      value: dxRerun !== undefined && dbosRerun !== undefined ? dbosRerun / dxRerun : Number.NaN,
      color: DX,
    },
    {
      label: 'crash → result after imports: DBOS ÷ durable-x',
      value: 1 / crashRatio(results, 'postgres', DBOS_CRASH, 'afterImportsMs'),
      color: DX,
    },
    {
      label: 'same: naive engine ÷ durable-x (Postgres)',
      value: 1 / crashRatio(results, 'postgres', NAIVE_CRASH, 'afterImportsMs'),
      color: DX,
    },
    {
      label: 'same: naive engine ÷ durable-x (SQLite)',
      value: 1 / crashRatio(results, 'sqlite', NAIVE_CRASH, 'afterImportsMs'),
      color: DX,
    },
  ];
  const panels: Panel[] = [
    {
      title: "Per-step median time ÷ the raw driver's single write (lower is better)",
      bars: stepBars,
      marks: [
        { at: 1, label: 'floor' },
        { at: 1.2, label: 'target 1.2×' },
      ],
      unit: '×',
    },
    {
      title: 'durable-x against DBOS Transact and the naive engine (higher is better)',
      bars: versus,
      marks: [
        { at: 1, label: 'equal' },
        { at: 5, label: '5×' },
        { at: 10, label: '10×' },
      ],
      unit: '×',
    },
  ];
  let top = 10;
  const body: string[] = [];
  for (const panel of panels) {
    const { svg, height } = panelSvg(panel, top);
    body.push(svg);
    top += height + 10;
  }
  const footer = `${results.machine.date} · ${results.machine.cpus} × ${results.machine.cpuModel} · Node ${results.machine.node} · fsync=on, synchronous_commit=on · postgres/sqlite on a tmpfs, -fsync on disk`;
  body.push(`<text x="10" y="${top + 4}" font-size="11" fill="#555">${xmlText(footer)}</text>`);
  return [
    `<svg xmlns="http://www.w3.org/2000/svg" width="${WIDTH}" height="${top + 16}" viewBox="0 0 ${WIDTH} ${top + 16}" font-family="sans-serif">`,
    `<rect width="100%" height="100%" fill="white"/>`,
    ...body,
    '</svg>',
    '',
  ].join('\n');
};
