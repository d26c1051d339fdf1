// Shared by bench/run.mjs and bench/soak.mjs: build the Worker, start it under
// Miniflare (no wrangler dev proxy), seed D1, drive it over keep-alive HTTP
// with SigV4-signed requests, and read workerd's CPU and memory from /proc.
import { execFileSync } from "node:child_process";
import { generateKeyPairSync, randomBytes, webcrypto } from "node:crypto";
import { existsSync, mkdirSync, mkdtempSync, readdirSync, readFileSync, rmSync } from "node:fs";
import http from "node:http";
import { dirname, join, resolve } from "node:path";
import { fileURLToPath } from "node:url";
import { build, stop as stopEsbuild } from "esbuild";
import { convertV4MiniflareOptions, Miniflare } from "miniflare";
import { makeSigner } from "./sigv4.mjs";

export const ROOT = resolve(dirname(fileURLToPath(import.meta.url)), "../..");
const BUILD_DIR = join(ROOT, "bench/.build");

export const BENCH_ACCOUNT = "111122223333";
export const BENCH_KEY_ID = "AKIDBENCH0000000001";
export const KID = "bench-key-1";

// ---- build ------------------------------------------------------------------

const ESBUILD_COMMON = {
	bundle: true,
	format: "esm",
	platform: "neutral",
	target: "es2022",
	external: ["cloudflare:*", "node:*"],
	conditions: ["workerd", "worker", "browser"],
	mainFields: ["module", "main"],
	logLevel: "warning",
	minify: false,
};

/** Bundles one Worker entry the way wrangler would for workerd. */
export function bundle(entry, outfile, logLevel = ESBUILD_COMMON.logLevel) {
	return build({ ...ESBUILD_COMMON, entryPoints: [entry], outfile, logLevel });
}

/** Bundles the product (src/index.ts, unchanged) and the bench-only stage worker. */
export async function buildWorkers() {
	mkdirSync(BUILD_DIR, { recursive: true });
	await bundle(join(ROOT, "src/index.ts"), join(BUILD_DIR, "product.js"));
	await bundle(join(ROOT, "bench/stage-worker.js"), join(BUILD_DIR, "stage.js"));
	await stopEsbuild();
	return { product: join(BUILD_DIR, "product.js"), stage: join(BUILD_DIR, "stage.js") };
}

// ---- secrets ------------------------------------------------------------------

/**
 * Where workerd keeps Durable Object and D1 SQLite files. Default: a fresh
 * directory on tmpfs (/dev/shm), because on this machine's disk every commit
 * waits for an fsync (~2-3 ms) and the single rate-limiter object serialises
 * on it; that is local I/O, not the code under test. BENCH_STORAGE=disk uses
 * Miniflare's default temporary directory instead.
 */
export function storageDir() {
	if (process.env.BENCH_STORAGE === "disk")
		return { path: undefined, kind: "disk (os tmpdir)", cleanup() {} };
	if (!existsSync("/dev/shm")) return { path: undefined, kind: "disk (no /dev/shm)", cleanup() {} };
	const path = mkdtempSync("/dev/shm/elm-bench-");
	return {
		path,
		kind: "tmpfs (/dev/shm)",
		cleanup: () => rmSync(path, { recursive: true, force: true }),
	};
}

export function makeSecrets() {
	const { privateKey } = generateKeyPairSync("rsa", { modulusLength: 3072 });
	const jwk = privateKey.export({ format: "jwk" });
	return {
		jwk,
		SIGNING_KEYS: JSON.stringify([{ kid: KID, activeFrom: "2020-01-01T00:00:00Z" }]),
		SIGNING_PRIVATE_KEYS: JSON.stringify({ [KID]: jwk }),
		PRINCIPAL_SECRET_KEY: randomBytes(32).toString("base64"),
		principalSecret: randomBytes(24).toString("base64url"),
	};
}

// ---- Miniflare ------------------------------------------------------------------

/**
 * Two workers in one workerd: the product, exactly as built, and the bench-only
 * stage worker (raw signing and stage timings), which also binds the product's
 * LicenseObject class so it can call the object without HTTP in front.
 * Both are served on direct sockets, so requests skip Miniflare's entry worker.
 */
export async function startMiniflare(
	paths,
	secrets,
	{ limiter = true, inspectorPort, persistPath, inspectObjects = false, variants = [] } = {},
) {
	const vars = {
		ISSUER_ID: "edge-license-manager-bench",
		SIGNING_KEYS: secrets.SIGNING_KEYS,
		SIGNING_PRIVATE_KEYS: secrets.SIGNING_PRIVATE_KEYS,
		PRINCIPAL_SECRET_KEY: secrets.PRINCIPAL_SECRET_KEY,
		LICENSE_RATE_LIMIT: "1000000",
	};
	const ratelimits = {
		PRINCIPAL_LIMITER: { namespace_id: "1001", simple: { limit: 1_000_000_000, period: 60 } },
		PRINCIPAL_LIMITER_BULK: { namespace_id: "1002", simple: { limit: 1_000_000_000, period: 60 } },
	};
	const common = {
		modules: true,
		compatibilityDate: "2026-11-01",
		compatibilityFlags: ["nodejs_compat"],
		unsafeDirectSockets: [{ host: "127.0.0.1", port: 0 }],
	};
	const mf = new Miniflare(
		convertV4MiniflareOptions({
			...(inspectorPort !== undefined ? { inspectorPort } : {}),
			...(persistPath !== undefined ? { resourcePersistencePath: persistPath } : {}),
			// Soak only: lets Node run SQL in the license objects (Miniflare wraps the class to allow it).
			...(inspectObjects ? { unsafeInspectDurableObjects: true } : {}),
			workers: [
				{
					...common,
					name: "product",
					scriptPath: paths.product,
					bindings: vars,
					durableObjects: { LICENSES: { className: "LicenseObject", useSQLite: true } },
					d1Databases: { DB: "bench-d1" },
					...(limiter ? { ratelimits } : {}),
				},
				// bench:whatif: patched builds of the product side by side, each with its own objects and D1.
				...variants.map((v) => ({
					...common,
					name: v.name,
					scriptPath: v.path,
					bindings: vars,
					durableObjects: { LICENSES: { className: "LicenseObject", useSQLite: true } },
					d1Databases: { DB: `bench-d1-${v.name}` },
					...(v.limiter ? { ratelimits } : {}),
				})),
				{
					...common,
					name: "stage",
					scriptPath: paths.stage,
					bindings: vars,
					durableObjects: {
						STAGE: { className: "StageObject", useSQLite: true },
						LICENSES: { className: "LicenseObject", scriptName: "product", useSQLite: true },
					},
					d1Databases: { DB: "bench-d1" },
					ratelimits,
				},
			],
		}),
	);
	await mf.ready;
	const productUrl = await mf.unsafeGetDirectURL("product");
	const stageUrl = await mf.unsafeGetDirectURL("stage");
	const variantUrls = {};
	for (const v of variants) variantUrls[v.name] = await mf.unsafeGetDirectURL(v.name);
	return { mf, productUrl, stageUrl, variantUrls };
}

/** D1 migrations, in file order, statement by statement. */
export async function applyMigrations(mf, worker = "product") {
	const db = await mf.getD1Database("DB", worker);
	const dir = join(ROOT, "migrations");
	for (const file of readdirSync(dir)
		.filter((f) => f.endsWith(".sql"))
		.sort()) {
		const sql = readFileSync(join(dir, file), "utf8")
			.split("\n")
			.map((line) => line.replace(/--.*$/, ""))
			.join("\n");
		const statements = sql
			.split(";")
			.map((s) => s.trim())
			.filter(Boolean);
		await db.batch(statements.map((s) => db.prepare(s)));
	}
	return db;
}

/** The bench principal, sealed exactly as src/auth/secretBox.ts does (imported from it: Node strips the types). */
export async function seedPrincipal(db, secrets) {
	globalThis.crypto ??= webcrypto;
	const { importBoxKey, sealSecret } = await import(join(ROOT, "src/auth/secretBox.ts"));
	const key = await importBoxKey(secrets.PRINCIPAL_SECRET_KEY);
	await db
		.prepare(
			`INSERT INTO principals (access_key_id, account_id, secret_ciphertext, allowed_operations, rate_tier, status, created_at)
			 VALUES (?1, ?2, ?3, ?4, 'bulk', 'ACTIVE', ?5)`,
		)
		.bind(
			BENCH_KEY_ID,
			BENCH_ACCOUNT,
			await sealSecret(key, BENCH_KEY_ID, secrets.principalSecret),
			JSON.stringify(["*"]),
			new Date().toISOString(),
		)
		.run();
	return makeSigner({ accessKeyId: BENCH_KEY_ID, secretAccessKey: secrets.principalSecret });
}

// ---- /proc --------------------------------------------------------------------------

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
			const { usedSize, totalSize } = await s.send("Runtime.getHeapUsage");
			out[target] = {
				usedMiB: round(usedSize / 1048576, 1),
				totalMiB: round(totalSize / 1048576, 1),
			};
		} catch (err) {
			out[target] = { error: String(err) };
		} finally {
			s.close();
		}
	}
	return out;
}

// ---- HTTP --------------------------------------------------------------------------

export function makeClient(url, connections) {
	const agent = new http.Agent({
		keepAlive: true,
		maxSockets: connections,
		maxFreeSockets: connections,
	});
	const host = url.host;
	const port = Number(url.port);
	const hostname = url.hostname;
	/** One request; resolves with status and body text, never rejects (a transport error is status 0). */
	function request(method, path, headers, body) {
		return new Promise((resolveReq) => {
			const req = http.request({ agent, hostname, port, method, path, headers }, (res) => {
				const chunks = [];
				res.on("data", (c) => chunks.push(c));
				res.on("end", () =>
					resolveReq({ status: res.statusCode, body: Buffer.concat(chunks).toString("utf8") }),
				);
				res.on("error", (err) => resolveReq({ status: 0, body: String(err) }));
			});
			req.on("error", (err) => resolveReq({ status: 0, body: String(err) }));
			if (body !== undefined) {
				req.setHeader("Content-Length", Buffer.byteLength(body));
				req.end(body);
			} else req.end();
		});
	}
	return { agent, host, request, close: () => agent.destroy() };
}

/** A signed AWS JSON 1.1 call; `body` is the exact string sent (and signed). */
export function callOp(client, sign, operation, body) {
	return client.request("POST", "/", sign(operation, body, client.host), body);
}

// ---- the product's API --------------------------------------------------------------

export function licenseBody(i, ttlMinutes, clientToken) {
	return JSON.stringify({
		LicenseName: `Bench license ${i}`,
		ProductName: "Bench product",
		ProductSKU: `BENCH-${i}`,
		Issuer: { Name: "Bench Issuer" },
		HomeRegion: "us-east-1",
		Validity: { Begin: "2020-01-01T00:00:00Z", End: "2099-01-01T00:00:00Z" },
		Entitlements: [
			{ Name: "Seats", Unit: "Count", MaxCount: 1_000_000_000_000, Overage: true },
			{ Name: "Tier", Unit: "None", Value: "Enterprise" },
		],
		Beneficiary: `Bench beneficiary ${BENCH_ACCOUNT}`,
		ConsumptionConfiguration: {
			RenewType: "None",
			BorrowConfiguration: { AllowEarlyCheckIn: true, MaxTimeToLiveInMinutes: ttlMinutes },
		},
		ClientToken: clientToken,
	});
}

/** Creates `count` licenses (8 at a time); returns their ARNs. Throws on any failure. */
export async function createLicenses(client, sign, count, ttlMinutes, tag) {
	const arns = new Array(count);
	let next = 0;
	async function worker() {
		while (next < count) {
			const i = next++;
			const res = await callOp(
				client,
				sign,
				"CreateLicense",
				licenseBody(i, ttlMinutes, `${tag}create${i}`),
			);
			if (res.status !== 200)
				throw new Error(`CreateLicense ${i} failed: ${res.status} ${res.body}`);
			arns[i] = JSON.parse(res.body).LicenseArn;
		}
	}
	await Promise.all(Array.from({ length: 8 }, worker));
	return arns;
}

export function checkoutBody(arn, clientToken, nodeId = "bench-node-0001") {
	return JSON.stringify({
		LicenseArn: arn,
		Entitlements: [{ Name: "Seats", Unit: "Count", Value: "1" }],
		DigitalSignatureMethod: "JWT_PS384",
		NodeId: nodeId,
		CheckoutMetadata: [{ Name: "host", Value: "bench-host-01" }],
		ClientToken: clientToken,
	});
}

/** A successful checkout's parsed body, or null. */
export function parseCheckout(res) {
	if (res.status !== 200) return null;
	try {
		const out = JSON.parse(res.body);
		return typeof out.SignedToken === "string" && out.SignedToken.split(".").length === 3
			? out
			: null;
	} catch {
		return null;
	}
}

// ---- load phases ------------------------------------------------------------------------

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
	let firstError = null;
	let cpuStart = null;
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
				firstError ??= String(err?.stack ?? err);
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
	cpuStart ??= snap();
	cpuEnd ??= snap();
	latencies.sort((a, b) => a - b);
	const wall = (cpuEnd.at - cpuStart.at) / 1000;
	const rps = measured / (durationMs / 1000);
	const workerdCpu = cpuEnd.workerd - cpuStart.workerd;
	const genCpu = cpuEnd.gen - cpuStart.gen;
	const otherCpu = Math.max(0, cpuEnd.machine - cpuStart.machine - workerdCpu - genCpu);
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
			workerdSysPct: round(((cpuEnd.workerdSys - cpuStart.workerdSys) / wall) * 100, 1),
			generatorPct: round((genCpu / wall) * 100, 1),
			otherProcessesPct: round((otherCpu / wall) * 100, 1),
			workerdMsPerReq: round((workerdCpu * 1000) / Math.max(1, measured), 3),
			generatorMsPerReq: round((genCpu * 1000) / Math.max(1, measured), 3),
		},
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

export function round(x, digits) {
	const f = 10 ** digits;
	return Math.round(x * f) / f;
}

export const sleep = (ms) => new Promise((r) => setTimeout(r, ms));

/** A ClientToken: [a-zA-Z0-9], ≤ 64 characters, unique per run. */
export function tokenFactory(tag) {
	let n = 0;
	return () => `${tag}${(n++).toString(36)}`;
}

/**
 * Runs `main(mf)` against a started Miniflare, always disposes it and the storage
 * directory, and exits with main's code (2 if it threw).
 */
export async function runAndExit(mf, storage, main) {
	let exitCode = 0;
	try {
		exitCode = await main();
	} catch (err) {
		console.error(err);
		exitCode = 2;
	} finally {
		await mf.dispose();
		storage.cleanup();
	}
	process.exit(exitCode);
}
