// The dashboard's charts, drawn with Recharts (SVG). This module is loaded
// on its own after the figures, so the first screen does not wait for it.
// Each chart has a text title and description for assistive technology and
// Recharts' keyboard-navigable accessibility layer; the same numbers are in
// the downloadable tables below the charts.
import { type ReactNode, useEffect } from 'react';
import {
  Bar, BarChart, CartesianGrid, Cell, Legend, Line, LineChart, ResponsiveContainer, Tooltip, XAxis, YAxis,
} from 'recharts';
import { money, moneyShort, monthLabel, percent, shortLabel } from './format';
import { type DashboardData, type Step, type TrendPoint, trendPoints, waterfallSteps } from './dashboardData';

const palette = { primary: '#1f4e79', accent: '#c05621', good: '#2f7d32', bad: '#b3261e', muted: '#6b7280' };

function Figure({ title, desc, children }: { title: string; desc: string; children: ReactNode }) {
  return (
    <figure className="chart" data-chart={title}>
      <figcaption>{title}</figcaption>
      <p className="visually-hidden">{desc}</p>
      <div className="chart-box">
        <ResponsiveContainer width="100%" height={240} initialDimension={{ width: 480, height: 240 }}>
          {children as React.ReactElement}
        </ResponsiveContainer>
      </div>
    </figure>
  );
}

/** TrendChart: occupancy (and leased %, when the API sends it) by month. */
export function TrendChart({ points }: { points: TrendPoint[] }) {
  const hasLeased = points.some((p) => p.leased !== undefined && p.leased !== null);
  return (
    <Figure title="Occupancy trend" desc={`Physical${hasLeased ? ', leased' : ''} and economic occupancy for ${points.length} months.`}>
      <LineChart data={points} margin={{ top: 8, right: 16, left: 0, bottom: 0 }} accessibilityLayer>
        <CartesianGrid strokeDasharray="3 3" />
        <XAxis dataKey="month" tickFormatter={monthLabel} minTickGap={16} />
        <YAxis tickFormatter={(v: number) => percent(v)} domain={[0, 1]} width={64} />
        <Tooltip formatter={(v) => percent(Number(v))} labelFormatter={(l) => monthLabel(String(l))} />
        <Legend />
        <Line type="monotone" dataKey="physical" name="Physical occupancy" stroke={palette.primary} strokeWidth={2} connectNulls isAnimationActive={false} />
        {hasLeased && <Line type="monotone" dataKey="leased" name="Leased" stroke={palette.good} strokeWidth={2} strokeDasharray="6 3" connectNulls isAnimationActive={false} />}
        <Line type="monotone" dataKey="economic" name="Economic occupancy" stroke={palette.accent} strokeWidth={2} strokeDasharray="2 2" connectNulls isAnimationActive={false} />
      </LineChart>
    </Figure>
  );
}

/**
 * CategoryTick draws a category's label, cut to 10 characters, with
 * the full name as its title (shown on hover, read by screen readers).
 */
function CategoryTick({ x = 0, y = 0, payload, angle }: { x?: number; y?: number; payload?: { value?: unknown }; angle: number }) {
  const name = String(payload?.value ?? '');
  return (
    <g transform={`translate(${x},${y})`}>
      <text dy={angle ? 4 : 12} textAnchor={angle ? 'end' : 'middle'} transform={angle ? `rotate(${angle})` : undefined}
        fill="#374151" fontSize={12}>
        <title>{name}</title>{shortLabel(name)}
      </text>
    </g>
  );
}

/**
 * PairChart draws two money series per category (rent by floorplan,
 * competition). Many categories get slanted labels, and where even those
 * would overlap (a phone's width) every other one or more is left out,
 * evenly: the tooltip and the table below name every bar.
 */
export function PairChart({ title, desc, data, a, b }: {
  title: string; desc: string; data: { name: string; a: number | null; b: number | null }[];
  a: string; b: string;
}) {
  const angle = data.length > 6 ? -45 : 0;
  return (
    <Figure title={title} desc={desc}>
      <BarChart data={data} margin={{ top: 8, right: 16, left: 8, bottom: 0 }} accessibilityLayer>
        <CartesianGrid strokeDasharray="3 3" />
        <XAxis dataKey="name" interval="equidistantPreserveStart" angle={angle} tickFormatter={shortLabel}
          tick={<CategoryTick angle={angle} />} height={angle ? 64 : 30} />
        <YAxis tickFormatter={(v: number) => moneyShort(v)} width={72} />
        <Tooltip formatter={(v) => money(Number(v))} />
        <Legend />
        <Bar dataKey="a" name={a} fill={palette.primary} isAnimationActive={false} />
        <Bar dataKey="b" name={b} fill={palette.accent} isAnimationActive={false} />
      </BarChart>
    </Figure>
  );
}

/** ExpirationsChart: leases ending per month. */
export function ExpirationsChart({ data }: { data: { month: string; units: number }[] }) {
  return (
    <Figure title="Lease expirations by month" desc={`Occupied units whose lease ends in each of ${data.length} months.`}>
      <BarChart data={data} margin={{ top: 8, right: 16, left: 0, bottom: 0 }} accessibilityLayer>
        <CartesianGrid strokeDasharray="3 3" />
        <XAxis dataKey="month" tickFormatter={(m: string) => (/^\d{4}-\d{2}$/.test(m) ? monthLabel(m) : m)} minTickGap={8} />
        <YAxis allowDecimals={false} width={40} />
        <Tooltip />
        <Bar dataKey="units" name="Expiring leases" fill={palette.primary} isAnimationActive={false} />
      </BarChart>
    </Figure>
  );
}

/** waterfallBars turns steps into floating bars: [base, base + |change|]. */
export function waterfallBars(steps: Step[]): { name: string; range: [number, number]; value: number; total: boolean }[] {
  let level = 0;
  return steps.map((s) => {
    if (s.total) {
      level = s.value;
      return { name: s.name, range: [0, s.value], value: s.value, total: true };
    }
    const from = level;
    level += s.value;
    return { name: s.name, range: [Math.min(from, level), Math.max(from, level)], value: s.value, total: false };
  });
}

/** WaterfallChart: from gross potential rent to effective rent. */
export function WaterfallChart({ steps }: { steps: Step[] }) {
  const bars = waterfallBars(steps);
  return (
    <Figure title="Revenue waterfall" desc={steps.map((s) => `${s.name} ${money(s.value)}`).join('; ')}>
      <BarChart data={bars} margin={{ top: 8, right: 16, left: 40, bottom: 0 }} accessibilityLayer>
        <CartesianGrid strokeDasharray="3 3" />
        {/* Every step is named (interval 0); at a phone's width eight labels
            only fit steeply slanted. */}
        <XAxis dataKey="name" interval={0} angle={-60} textAnchor="end" height={110} tick={{ fontSize: 11 }} />
        <YAxis tickFormatter={(v: number) => moneyShort(v)} width={80} />
        <Tooltip formatter={(_v, _n, item) => money((item.payload as { value: number }).value)} />
        <Bar dataKey="range" name="Amount" isAnimationActive={false}>
          {bars.map((b) => <Cell key={b.name} fill={b.total ? palette.primary : b.value < 0 ? palette.bad : palette.good} />)}
        </Bar>
      </BarChart>
    </Figure>
  );
}

/** DashboardCharts draws every chart the answers allow, then calls onDrawn. */
export default function DashboardCharts({ summary, trend, exp, comp, onDrawn }: DashboardData & { onDrawn: () => void }) {
  useEffect(() => { onDrawn(); }, [onDrawn]);
  const steps = waterfallSteps(summary.totals);
  const points = trend ? trendPoints(trend) : [];
  const compRows = comp?.data ? comp.by_unit_type : [];
  // Unit types of several surveyed properties do not add up to one bar
  // each (their averages weigh different units): the chart is per property,
  // the table lists every row.
  const compProps = new Set(compRows.map((r) => r.property_id)).size;
  return (
    <div className="chart-grid">
      {points.length > 0 && <TrendChart points={points} />}
      <PairChart title="Rent by floorplan" desc="Average market and lease rent per unit type."
        data={summary.by_unit_type.map((r) => ({ name: r.unit_type || '—', a: r.avg_market_rent, b: r.avg_lease_rent }))}
        a="Avg market rent" b="Avg lease rent" />
      {exp && exp.expirations.length > 0 && <ExpirationsChart data={exp.expirations.map((e) => ({ month: e.month, units: e.units }))} />}
      {compProps > 1 && (
        <p className="chart-note" data-chart-note="Competition">
          The competition covers {compProps} surveyed properties: choose one above to chart it; the table below lists every one.
        </p>
      )}
      {compProps === 1 && (
        <PairChart title="Competition" desc="Our average lease rent against the comparables' average effective rent, per unit type."
          data={compRows.map((r) => ({ name: r.unit_type || '—', a: r.subject_avg_lease_rent, b: r.comp_avg_effective_rent }))}
          a="Our lease rent" b="Comps' effective rent" />
      )}
      <WaterfallChart steps={steps} />
    </div>
  );
}
