// @ts-check
// workerd's and the machine's CPU and memory, read from /proc; the inspector; the revision measured.
import { execFileSync } from "node:child_process";
import { readdirSync, readFileSync } from "node:fs";
import { ROOT, round, sleep } from "./common.mjs";

const CLK_TCK = 100; // Linux USER_HZ; /proc/<pid>/stat counts in these ticks.

/** workerd processes started by this Node process (Miniflare spawns workerd directly). */
export function workerdPids() {
	const out = [];
	for (const entry of readdirSync("/proc")) {
		if (!/^\d+$/.test(entry)) continue;
		try {
			const stat = readFileSync(`/proc/${entry}/stat`, "utf8");
			const close = stat.lastIndexOf(")");
			const comm = stat.slice(stat.indexOf("(") + 1, close);
			const ppid = Number(stat.slice(close + 2).split(" ")[1]);
			if (ppid === process.pid && comm.startsWith("workerd")) out.push(Number(entry));
		} catch {}
	}
	return out;
}

/** CPU seconds (user + system, all threads) of the given processes. */
export function procCpuSeconds(pids) {
	const { user, system } = procCpuSplit(pids);
	return user + system;
}

/** User and system CPU seconds (all threads) of the given processes. */
export function procCpuSplit(pids) {
	let user = 0;
	let system = 0;
	for (const pid of pids) {
		const stat = readFileSync(`/proc/${pid}/stat`, "utf8");
		const fields = stat.slice(stat.lastIndexOf(")") + 2).split(" ");
		user += Number(fields[11]); // utime (field 14)
		system += Number(fields[12]); // stime (field 15)
	}
	return { user: user / CLK_TCK, system: system / CLK_TCK };
}

/** Resident set size in MiB (VmRSS). */
export function procRssMiB(pids) {
	let kb = 0;
	for (const pid of pids) {
		const m = /VmRSS:\s+(\d+) kB/.exec(readFileSync(`/proc/${pid}/status`, "utf8"));
		if (m) kb += Number(m[1]);
	}
	return kb / 1024;
}

export function threadsOf(pid) {
	return readdirSync(`/proc/${pid}/task`).length;
}

/** Busy CPU seconds of the whole machine (all cores), from /proc/stat. */
export function machineBusySeconds() {
	const f = readFileSync("/proc/stat", "utf8")
		.split("\n", 1)[0]
		.trim()
		.split(/\s+/)
		.slice(1)
		.map(Number);
	// user nice system idle iowait irq softirq steal guest guest_nice; guest is already in user.
	const busy = f[0] + f[1] + f[2] + f[5] + f[6] + f[7];
	return busy / CLK_TCK;
}

/** CPU of this process (load generator) in seconds. */
export function selfCpuSeconds() {
	const u = process.cpuUsage();
	return (u.user + u.system) / 1e6;
}

export function machineInfo() {
	const cpuinfo = readFileSync("/proc/cpuinfo", "utf8");
	const field = (name) => new RegExp(`^${name}\\s*:\\s*(.*)$`, "m").exec(cpuinfo)?.[1]?.trim();
	const logical = (cpuinfo.match(/^processor\s*:/gm) ?? []).length;
	const memKb = Number(/MemTotal:\s+(\d+)/.exec(readFileSync("/proc/meminfo", "utf8"))?.[1] ?? 0);
	return {
		cpuModel: field("model name") ?? "unknown",
		cpuFamilyModel: `${field("cpu family")}/${field("model")}`,
		cpuMHz: Number(field("cpu MHz") ?? 0),
		hypervisor: / hypervisor( |$)/m.test(field("flags") ?? "") ? "yes" : "no",
		logicalCpus: logical,
		memoryGiB: Math.round((memKb / 1024 / 1024) * 10) / 10,
	};
}

/**
 * Waits until workerd has been idle (< 5 % of a core) for half a second, at most
 * `maxMs`: alarms still draining the previous phase's outbox must not be billed to
 * the next measurement. Returns the ms waited.
 */
export async function waitIdle(pids, maxMs = 20_000) {
	const t0 = performance.now();
	let quiet = 0;
	let last = procCpuSeconds(pids);
	while (performance.now() - t0 < maxMs) {
		await sleep(250);
		const now = procCpuSeconds(pids);
		quiet = now - last < 0.0125 ? quiet + 1 : 0;
		last = now;
		if (quiet >= 2) break;
	}
	return Math.round(performance.now() - t0);
}

/** The product revision measured (read-only git). */
export function productRevision() {
	try {
		const head = execFileSync("git", ["rev-parse", "--short", "HEAD"], {
			cwd: ROOT,
			encoding: "utf8",
		}).trim();
		const dirty =
			execFileSync("git", ["status", "--porcelain", "--", "src", "migrations"], {
				cwd: ROOT,
				encoding: "utf8",
			}).trim() !== "";
		return dirty ? `${head} + uncommitted changes in src/` : head;
	} catch {
		return "unknown";
	}
}

/** A minimal Chrome DevTools Protocol session over workerd's inspector (Node's global WebSocket). */
export function cdpConnect(url) {
	const ws = new WebSocket(url);
	let id = 0;
	const waiting = new Map();
	ws.addEventListener("message", (ev) => {
		const msg = JSON.parse(ev.data);
		const w = waiting.get(msg.id);
		if (w) {
			waiting.delete(msg.id);
			msg.error ? w.reject(new Error(JSON.stringify(msg.error))) : w.resolve(msg.result);
		}
	});
	const opened = new Promise((res, rej) => {
		ws.addEventListener("open", res, { once: true });
		ws.addEventListener("error", rej, { once: true });
	});
	return {
		opened,
		send(method, params = {}) {
			const msgId = ++id;
			ws.send(JSON.stringify({ id: msgId, method, params }));
			return new Promise((resolve, reject) => waiting.set(msgId, { resolve, reject }));
		},
		close: () => ws.close(),
	};
}

/** V8 heap of each named isolate (inspector targets), in MiB. */
export async function isolateHeaps(inspectorUrl, targets) {
	const out = {};
	for (const target of targets) {
		const s = cdpConnect(`${inspectorUrl.href.replace(/\/$/, "")}/${target}`);
		try {
			await s.opened;
			const { usedSize, totalSize, embedderHeapUsedSize, backingStorageSize } =
				await s.send("Runtime.getHeapUsage");
			out[target] = {
				usedMiB: round(usedSize / 1048576, 1),
				totalMiB: round(totalSize / 1048576, 1),
				// Newer V8s also report memory outside the JS heap: ArrayBuffer backing stores
				// (malloc'd, so in anonymous RSS) and the embedder's (workerd's) heap.
				...(backingStorageSize !== undefined
					? { backingStoreMiB: round(backingStorageSize / 1048576, 1) }
					: {}),
				...(embedderHeapUsedSize !== undefined
					? { embedderMiB: round(embedderHeapUsedSize / 1048576, 1) }
					: {}),
			};
		} catch (err) {
			out[target] = { error: String(err) };
		} finally {
			s.close();
		}
	}
	return out;
}
