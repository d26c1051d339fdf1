import type { GetUsageHistoryInput, GetUsageHistoryOutput, Granularity } from "../api/extension";

/** The two windows the issue asks for: peak per hour over 7 days, per day over 90. */
export const RANGES = {
	week: { label: "Last 7 days, by hour", days: 7, granularity: "HOUR" as Granularity },
	quarter: { label: "Last 90 days, by day", days: 90, granularity: "DAY" as Granularity },
} as const;
export type RangeName = keyof typeof RANGES;

export function historyInput(arn: string, range: RangeName, nowMs: number): GetUsageHistoryInput {
	const { days, granularity } = RANGES[range];
	return {
		LicenseArn: arn,
		Start: new Date(nowMs - days * 86_400_000).toISOString().replace(/\.\d{3}Z$/, "Z"),
		End: new Date(nowMs).toISOString().replace(/\.\d{3}Z$/, "Z"),
		Granularity: granularity,
	};
}

/** uPlot's aligned data: x in epoch seconds, then one series of peaks per entitlement. */
export interface ChartData {
	names: string[];
	data: [number[], ...(number | null)[][]];
	/** The highest peak of each series, for the chart's text summary. */
	peaks: number[];
}

/** Aligns every entitlement's points on one time axis; a time an entitlement lacks is a gap. */
export function chartData(history: GetUsageHistoryOutput): ChartData {
	const series = history.Entitlements ?? [];
	const times = new Set<number>();
	for (const s of series)
		for (const p of s.Points) times.add(Math.floor(Date.parse(p.Time) / 1000));
	const xs = [...times].filter(Number.isFinite).sort((a, b) => a - b);
	const columns = series.map((s) => {
		const byTime = new Map(
			s.Points.map((p) => [Math.floor(Date.parse(p.Time) / 1000), p.PeakConsumed]),
		);
		return xs.map((x) => byTime.get(x) ?? null);
	});
	return {
		names: series.map((s) => s.Name),
		data: [xs, ...columns],
		peaks: columns.map((c) => c.reduce<number>((m, v) => (v !== null && v > m ? v : m), 0)),
	};
}
