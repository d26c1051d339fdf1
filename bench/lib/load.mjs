// @ts-check
// Closed-loop load phases, measured by latency, throughput and CPU.
import { round } from "./common.mjs";
import { machineBusySeconds, procCpuSplit, selfCpuSeconds, workerdPids } from "./proc.mjs";

export function percentile(sorted, p) {
	if (sorted.length === 0) return Number.NaN;
	const i = Math.min(sorted.length - 1, Math.max(0, Math.ceil((p / 100) * sorted.length) - 1));
	return sorted[i];
}

/**
 * Closed-loop load: `connections` loops, each sending its next request when the
 * previous one answered. Requests completing inside [warmup, warmup+duration]
 * are measured; every request (warm-up included) is checked by `issue`, which
 * returns true on success.
 */
export async function runPhase({ name, connections, warmupMs, durationMs, issue }) {
	const pids = workerdPids();
	const t0 = performance.now();
	const measureStart = t0 + warmupMs;
	const measureEnd = measureStart + durationMs;
	const latencies = [];
	let measured = 0;
	let errors = 0;
	let total = 0;
	/** @type {string | null} */
	let firstError = null;
	/** @typedef {{ at: number, gen: number, workerd: number, workerdSys: number, machine: number }} Snap */
	/** @type {Snap | null} */
	let cpuStart = null;
	/** @type {Snap | null} */
	let cpuEnd = null;
	const snap = () => {
		const w = procCpuSplit(pids);
		return {
			at: performance.now(),
			gen: selfCpuSeconds(),
			workerd: w.user + w.system,
			workerdSys: w.system,
			machine: machineBusySeconds(),
		};
	};
	const startTimer = setTimeout(() => (cpuStart = snap()), warmupMs);
	const endTimer = setTimeout(() => (cpuEnd = snap()), warmupMs + durationMs);
	async function loop(conn) {
		let seq = 0;
		while (performance.now() < measureEnd) {
			const start = performance.now();
			let ok;
			try {
				ok = await issue(conn, seq++);
			} catch (err) {
				ok = false;
				firstError ??= String(/** @type {Error} */ (err)?.stack ?? err);
			}
			const end = performance.now();
			total++;
			if (ok !== true) {
				errors++;
				if (typeof ok === "string") firstError ??= ok;
			}
			if (end >= measureStart && end <= measureEnd) {
				measured++;
				latencies.push(end - start);
			}
		}
	}
	await Promise.all(Array.from({ length: connections }, (_, c) => loop(c)));
	clearTimeout(startTimer);
	clearTimeout(endTimer);
	const start = cpuStart ?? snap();
	const end = cpuEnd ?? snap();
	latencies.sort((a, b) => a - b);
	const wall = (end.at - start.at) / 1000;
	const rps = measured / (durationMs / 1000);
	const workerdCpu = end.workerd - start.workerd;
	const genCpu = end.gen - start.gen;
	const otherCpu = Math.max(0, end.machine - start.machine - workerdCpu - genCpu);
	return {
		name,
		connections,
		durationS: durationMs / 1000,
		requests: measured,
		totalRequests: total,
		errors,
		firstError,
		rps: round(rps, 1),
		p50Ms: round(percentile(latencies, 50), 3),
		p99Ms: round(percentile(latencies, 99), 3),
		cpu: {
			workerdPct: round((workerdCpu / wall) * 100, 1),
			workerdSysPct: round(((end.workerdSys - start.workerdSys) / wall) * 100, 1),
			generatorPct: round((genCpu / wall) * 100, 1),
			otherProcessesPct: round((otherCpu / wall) * 100, 1),
			workerdMsPerReq: round((workerdCpu * 1000) / Math.max(1, measured), 3),
			generatorMsPerReq: round((genCpu * 1000) / Math.max(1, measured), 3),
		},
	};
}

/** A ClientToken: [a-zA-Z0-9], ≤ 64 characters, unique per run. */
export function tokenFactory(tag) {
	let n = 0;
	return () => `${tag}${(n++).toString(36)}`;
}
