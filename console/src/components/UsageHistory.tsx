import { useEffect, useMemo, useRef, useState } from "preact/hooks";
import uPlot from "uplot";
import "uplot/dist/uPlot.min.css";
import { isUnknownOperation } from "../api/errors";
import type { ExtensionApi } from "../api/extension";
import { type ChartData, chartData, historyInput, RANGES, type RangeName } from "../view/chart";
import { ErrorNote, Loading, Unavailable } from "./common";
import { useAsync } from "./hooks";

const COLOURS = ["#2563eb", "#db2777", "#059669", "#d97706", "#7c3aed"];

function Chart({ chart, range }: { chart: ChartData; range: RangeName }) {
	const box = useRef<HTMLDivElement>(null);
	useEffect(() => {
		const el = box.current;
		if (!el) return;
		const width = () => Math.max(280, el.clientWidth);
		const plot = new uPlot(
			{
				width: width(),
				height: 240,
				scales: { x: { time: true }, y: { range: (_u, _min, max) => [0, Math.max(1, max)] } },
				series: [
					{},
					...chart.names.map((name, i) => ({
						label: `${name} (peak)`,
						stroke: COLOURS[i % COLOURS.length] ?? "#2563eb",
						width: 2,
						paths: uPlot.paths.stepped?.({ align: 1 }),
					})),
				],
				axes: [{}, { label: "in use" }],
			},
			chart.data,
			el,
		);
		const resize = () => plot.setSize({ width: width(), height: 240 });
		window.addEventListener("resize", resize);
		return () => {
			window.removeEventListener("resize", resize);
			plot.destroy();
		};
	}, [chart]);
	const summary = chart.names.map((n, i) => `${n}: highest ${chart.peaks[i] ?? 0}`).join("; ");
	return (
		<figure class="chart">
			<div
				ref={box}
				role="img"
				aria-label={`Peak in use, ${RANGES[range].label.toLowerCase()}. ${summary}`}
			/>
			<figcaption class="muted">{summary}</figcaption>
		</figure>
	);
}

/** Peak consumption over time (GetUsageHistory): per hour for 7 days, per day for 90. */
export function UsageHistory({
	api,
	arn,
	round,
}: {
	api: ExtensionApi;
	arn: string;
	round: number;
}) {
	const [range, setRange] = useState<RangeName>("week");
	const [history] = useAsync(
		() => api.getUsageHistory(historyInput(arn, range, Date.now())),
		[arn, range, round],
	);
	// One ChartData per answer, so the chart is drawn again only when the data changed.
	const chart = useMemo(
		() => (history.state === "done" ? chartData(history.value) : null),
		[history],
	);
	if (history.state === "failed" && isUnknownOperation(history.error)) {
		return <Unavailable operation="GetUsageHistory" />;
	}
	return (
		<>
			<div class="filters">
				<label for="usage-range">Window</label>
				<select
					id="usage-range"
					value={range}
					onChange={(e) => setRange(e.currentTarget.value as RangeName)}
				>
					{(Object.keys(RANGES) as RangeName[]).map((r) => (
						<option key={r} value={r}>
							{RANGES[r].label}
						</option>
					))}
				</select>
			</div>
			{history.state === "loading" ? <Loading what="usage history" /> : null}
			{history.state === "failed" ? (
				<ErrorNote error={history.error} context="Could not read the usage history:" />
			) : null}
			{chart && chart.data[0].length === 0 ? (
				<p class="muted">No usage recorded in this window.</p>
			) : null}
			{chart && chart.data[0].length > 0 ? <Chart chart={chart} range={range} /> : null}
		</>
	);
}
