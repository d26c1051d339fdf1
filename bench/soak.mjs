#!/usr/bin/env node
// @ts-check
// npm run soak — 100,000 checkouts against 100 licenses with a 1-minute borrow
// TTL; 90 % are checked in at once, the rest expire through the object's alarm
// in real time, so live usage stays bounded. Samples workerd memory as it goes
// (RSS by backing from smaps, V8 heaps, Miniflare's storage files: BENCHMARKS.md, Memory),
// counts what is stored (per license object and in D1) to see whether memory
// growth is explained by rows, then checks the ClientToken purge by moving the
// stored purge times back 24 h (the one thing real time cannot wait for).
// Stops by itself: SOAK_CHECKOUTS (default 100000) or SOAK_MAX_MINUTES (default 40).
// SOAK_D1_WRITES=off: the license objects drain their outbox into a D1 stand-in that
// stores nothing, so Miniflare's D1 simulator (in the same workerd) gets no writes.
// SOAK_COUNT_ROWS=end: rows are counted before and after the load, not at every sample
// (each count is ~300 SQL calls through Miniflare's object inspection, whose memory
// workerd keeps: BENCHMARKS.md, Memory), so the samples see the product's memory alone.
import { mkdirSync, readFileSync, writeFileSync } from "node:fs";
import { loadavg } from "node:os";
import { join } from "node:path";
import { checkoutBody, createLicenses, parseCheckout } from "./lib/api.mjs";
import { buildWorkers } from "./lib/build.mjs";
import { ROOT, round, sleep } from "./lib/common.mjs";
import { callOp, makeClient } from "./lib/http.mjs";
import { tokenFactory } from "./lib/load.mjs";
import { rssSplit, sqliteHeap, storageUsage } from "./lib/memory.mjs";
import { isolateHeaps, procCpuSeconds, workerdPids } from "./lib/proc.mjs";
import {
	applyMigrations,
	makeSecrets,
	runAndExit,
	seedPrincipal,
	startMiniflare,
	storageDir,
} from "./lib/workerd.mjs";

const TOTAL = Number(process.env.SOAK_CHECKOUTS ?? 100_000);
const MAX_MS = Number(process.env.SOAK_MAX_MINUTES ?? 40) * 60_000;
const SAMPLE_EVERY = Number(process.env.SOAK_SAMPLE_EVERY ?? 10_000);
const D1_WRITES = process.env.SOAK_D1_WRITES !== "off";
const COUNT_DURING_LOAD = process.env.SOAK_COUNT_ROWS !== "end";
const CONNECTIONS = 32;
const LICENSES = 100;
const CHECK_IN_EVERY = 10; // every 10th borrow is left to expire

const started = performance.now();
const log = (msg) => console.log(`[${((performance.now() - started) / 1000).toFixed(0)}s] ${msg}`);

const paths = await buildWorkers();
const secrets = makeSecrets();
const storage = storageDir();
const { mf, productUrl } = await startMiniflare(paths, secrets, {
	persistPath: storage.path,
	inspectObjects: true,
	inspectorPort: 0,
	d1Writes: D1_WRITES,
});
await runAndExit(mf, storage, main);

function memory(pids) {
	const out = { rss: 0, anon: 0, file: 0, shmem: 0 };
	for (const pid of pids) {
		const s = readFileSync(`/proc/${pid}/status`, "utf8");
		const kb = (k) => Number(new RegExp(`${k}:\\s+(\\d+) kB`).exec(s)?.[1] ?? 0) / 1024;
		out.rss += kb("VmRSS");
		out.anon += kb("RssAnon");
		out.file += kb("RssFile");
		out.shmem += kb("RssShmem");
	}
	for (const k of Object.keys(out)) out[k] = round(out[k], 1);
	return out;
}

async function main() {
	const db = await applyMigrations(mf);
	const sign = await seedPrincipal(db, secrets);
	const pids = workerdPids();
	const client = makeClient(productUrl, CONNECTIONS);
	const tag = Date.now().toString(36);
	const arns = await createLicenses(client, sign, LICENSES, 1, tag);
	const ids = arns.map((a) => a.split(":").pop());
	const objects = await Promise.all(
		ids.map((name) => mf.unsafeGetDurableObjectStorage("product", "LicenseObject", { name })),
	);
	log(
		`${LICENSES} licenses, borrow TTL 1 min; ${TOTAL} checkouts, every ${CHECK_IN_EVERY}th left to expire; ` +
			(D1_WRITES
				? "outbox drained into D1 (Miniflare's simulator)"
				: "outbox drained into a D1 stand-in that stores nothing (SOAK_D1_WRITES=off)"),
	);

	async function objectRows() {
		const totals = { active: 0, checkedIn: 0, expired: 0, clientTokens: 0, outbox: 0, bytes: 0 };
		for (const o of objects) {
			// PRAGMAs are not allowed in a Durable Object: count payload bytes instead of pages.
			const [b] = await o.exec(
				`SELECT SUM(status = 'ACTIVE') AS active, SUM(status = 'CHECKED_IN') AS checkedIn, SUM(status = 'EXPIRED') AS expired,
				   COALESCE(SUM(length(token) + length(account_id) + length(client_token) + length(status) + length(leases) + 24), 0) AS bytes FROM borrows`,
			);
			const [c] = await o.exec(
				`SELECT COUNT(*) AS n, COALESCE(SUM(length(account_id) + length(client_token) + length(request_hash) + length(response) + length(consumption_token) + 8), 0) AS bytes FROM client_tokens`,
			);
			const [x] = await o.exec(
				"SELECT COUNT(*) AS n, COALESCE(SUM(length(record) + 16), 0) AS bytes FROM outbox",
			);
			const num = (/** @type {unknown} */ v) => Number(v ?? 0);
			totals.active += num(b.active);
			totals.checkedIn += num(b.checkedIn);
			totals.expired += num(b.expired);
			totals.clientTokens += num(c.n);
			totals.outbox += num(x.n);
			totals.bytes += num(b.bytes) + num(c.bytes) + num(x.bytes);
		}
		return { ...totals, objectMiB: round(totals.bytes / 1048576, 1) };
	}
	async function d1Rows() {
		const [c] = (
			await db
				.prepare("SELECT COUNT(*) AS n, SUM(status = 'ACTIVE') AS active FROM checkouts")
				.all()
		).results;
		const [a] = (await db.prepare("SELECT COUNT(*) AS n FROM audit_events").all()).results;
		return { checkouts: c.n, checkoutsActive: c.active ?? 0, auditEvents: a.n };
	}

	const inspector = await mf.getInspectorURL();
	const HEAPS = ["core:user:product", "d1:db", "ratelimit:ns"];
	// Every isolate workerd runs (Miniflare adds its own: entry, dev control, caches, the
	// simulators' entries, ...): their heaps are all V8's, so all count as V8 below.
	const isolates = /** @type {{ id: string }[]} */ (
		await (await fetch(`http://${inspector.host}/json/list`)).json()
	).map((t) => t.id);
	const samples = [];
	const sample = async (done, countRows = true) => {
		const s = {
			checkouts: done,
			atS: round((performance.now() - started) / 1000, 0),
			memMiB: memory(pids),
			heaps: await isolateHeaps(inspector, isolates),
			cpuS: round(procCpuSeconds(pids), 1),
			smaps: rssSplit(pids, storage.path),
			sqlite: sqliteOf(pids),
			storage: storageUsage(storage.path),
			load1: round(loadavg()[0], 2),
			objects: countRows ? await objectRows() : null,
			d1: countRows ? await d1Rows() : null,
			// Counting rows runs SQL in all 100 objects through Miniflare's inspection
			// proxy; anonymous memory read again after it shows what the count itself costs.
			anonAfterCount: countRows ? rssSplit(pids, storage.path).anon : undefined,
		};
		samples.push(s);
		const rows = s.objects
			? `rows: active ${s.objects.active}, checked in ${s.objects.checkedIn}, expired ${s.objects.expired}, client tokens ${s.objects.clientTokens}, outbox ${s.objects.outbox}; ` +
				`object row payload ${s.objects.objectMiB} MiB; D1 checkouts ${s.d1?.checkouts}, audit ${s.d1?.auditEvents}; `
			: "rows not counted (SOAK_COUNT_ROWS=end); ";
		log(
			`${done} checkouts: workerd RSS ${s.memMiB.rss} MiB (anon ${s.memMiB.anon}, file ${s.memMiB.file}, shmem ${s.memMiB.shmem}); ${rows}` +
				`V8 heap used/total MiB: ${HEAPS.map((h) => `${h} ${s.heaps[h].usedMiB}/${s.heaps[h].totalMiB}`).join(", ")}`,
		);
		log(`${done} checkouts: ${memoryLine(s)}`);
		return s;
	};
	await sample(0);

	const next = tokenFactory(`${tag}s`);
	let issued = 0;
	let completed = 0;
	let errors = 0;
	let firstError = null;
	let nextSample = SAMPLE_EVERY;
	/** @type {Promise<void> | null} */
	let sampling = null;
	const deadline = performance.now() + MAX_MS;
	const fail = (what) => {
		errors++;
		firstError ??= what;
	};
	async function loop() {
		while (issued < TOTAL && performance.now() < deadline) {
			const n = issued++;
			const arn = arns[n % LICENSES];
			const res = await callOp(client, sign, "CheckoutBorrowLicense", checkoutBody(arn, next()));
			const out = parseCheckout(res);
			if (!out) {
				fail(`checkout: ${res.status} ${res.body.slice(0, 300)}`);
				continue;
			}
			if (n % CHECK_IN_EVERY !== 0) {
				const ci = await callOp(
					client,
					sign,
					"CheckInLicense",
					JSON.stringify({ LicenseConsumptionToken: out.LicenseConsumptionToken }),
				);
				if (ci.status !== 200) fail(`check-in: ${ci.status} ${ci.body.slice(0, 300)}`);
			}
			completed++;
			if (completed >= nextSample && !sampling) {
				nextSample += SAMPLE_EVERY;
				sampling = sample(completed, COUNT_DURING_LOAD)
					.then(() => undefined)
					.finally(() => (sampling = null));
			}
		}
	}
	const loadStart = performance.now();
	await Promise.all(Array.from({ length: CONNECTIONS }, loop));
	const loadS = (performance.now() - loadStart) / 1000;
	await sampling;
	log(
		`load done: ${completed} checkouts in ${loadS.toFixed(0)} s (${(completed / loadS).toFixed(0)}/s with check-ins), errors ${errors}`,
	);
	if (completed < TOTAL) log(`stopped early at the ${MAX_MS / 60_000}-minute limit`);

	// Expiries fire through the alarm in real time (TTL 1 min). Without counts during the
	// load, wait out the TTL first so that the objects are counted only a few times.
	if (!COUNT_DURING_LOAD) await sleep(65_000);
	let after = await objectRows();
	const waitUntil = performance.now() + 150_000;
	while ((after.active > 0 || after.outbox > 0) && performance.now() < waitUntil) {
		await sleep(5000);
		after = await objectRows();
		log(
			`waiting for expiry: ${after.active} live borrows, ${after.outbox} outbox rows; anon ${rssSplit(pids, storage.path).anon} MiB`,
		);
	}
	const settled = await sample(completed);
	const settledRows = /** @type {NonNullable<typeof settled.objects>} */ (settled.objects);
	const settledD1 = /** @type {NonNullable<typeof settled.d1>} */ (settled.d1);

	// ClientToken purge: records live until the borrow's expiry + 24 h. Move every
	// purge time back 24 h (as if a day had passed), then one check-in per license
	// reschedules the alarm, which should purge every record whose borrow has ended.
	for (const o of objects) await o.exec("UPDATE client_tokens SET purge_at = purge_at - 86400000");
	const wake = tokenFactory(`${tag}w`);
	for (const arn of arns) {
		const out = parseCheckout(
			await callOp(client, sign, "CheckoutBorrowLicense", checkoutBody(arn, wake())),
		);
		if (!out) {
			fail("purge trigger checkout failed");
			continue;
		}
		const ci = await callOp(
			client,
			sign,
			"CheckInLicense",
			JSON.stringify({ LicenseConsumptionToken: out.LicenseConsumptionToken }),
		);
		if (ci.status !== 200) fail(`purge trigger check-in: ${ci.status}`);
	}
	await sleep(3000);
	const purged = await objectRows();
	log(
		`after moving purge times back 24 h: ${purged.clientTokens} client-token records left (${settledRows.clientTokens} before)`,
	);
	client.close();

	// workerd destroys an idle Durable Object's actor after 10 s (server.c++). Memory 20 s
	// after the last request, read without touching an object (no SQL), tells what of
	// the native growth goes with the objects.
	await sleep(20_000);
	const idle = {
		checkouts: completed,
		atS: round((performance.now() - started) / 1000, 0),
		smaps: rssSplit(pids, storage.path),
		sqlite: sqliteOf(pids),
		heaps: await isolateHeaps(inspector, isolates),
		storage: storageUsage(storage.path),
		load1: round(loadavg()[0], 2),
	};
	log(`20 s idle (objects evicted): ${memoryLine(idle)}`);

	// ---- report ----
	// The first sample after the start includes warm-up (100 objects opened, caches,
	// V8 heaps sized); growth after it is what a leak would show.
	const warm = samples[1] ?? samples[0];
	const last = settled;
	const during = samples.filter((s) => s.checkouts > 0 && s !== settled);
	const counted = during.flatMap((s) => (s.objects ? [s.objects] : []));
	const firstCount = /** @type {NonNullable<typeof settled.objects>} */ (
		(warm.objects ? warm : samples[0]).objects
	);
	const peak = (/** @type {(o: NonNullable<typeof settled.objects>) => number} */ f) =>
		counted.length ? Math.max(...counted.map(f)) : null;
	const maxRss = Math.max(...samples.map((s) => s.memMiB.rss));
	const kibPer1k = (a, b) =>
		b.checkouts === a.checkouts
			? 0
			: ((b.memMiB.rss - a.memMiB.rss) * 1024) / ((b.checkouts - a.checkouts) / 1000);
	const mid = during[Math.floor(during.length / 2)] ?? warm;
	const report = {
		at: new Date().toISOString(),
		checkouts: completed,
		errors,
		firstError,
		loadSeconds: round(loadS, 0),
		checkoutsPerS: round(completed / loadS, 1),
		storage: storage.kind,
		d1Writes: D1_WRITES ? "Miniflare's D1 simulator" : "discarded (SOAK_D1_WRITES=off)",
		rowsCounted: COUNT_DURING_LOAD
			? "at every sample"
			: "before and after the load (SOAK_COUNT_ROWS=end)",
		rssMiB: {
			start: samples[0].memMiB.rss,
			afterWarmup: warm.memMiB.rss,
			max: maxRss,
			end: last.memMiB.rss,
			growthAfterWarmup: round(last.memMiB.rss - warm.memMiB.rss, 1),
		},
		rssSlopeKiBPer1kCheckouts: {
			warmupToMid: round(kibPer1k(warm, mid), 1),
			midToEnd: round(kibPer1k(mid, during.at(-1) ?? last), 1),
		},
		rowPayloadGrowthMiB: round(settledRows.objectMiB - firstCount.objectMiB, 1),
		maxLiveBorrows: peak((o) => o.active),
		maxOutboxRows: peak((o) => o.outbox),
		storedAtEnd: settledRows,
		d1AtEnd: settledD1,
		clientTokensAfterSimulatedDay: purged.clientTokens,
		samples,
	};
	report.memory = { ...memoryReport(samples, during, warm, last), afterIdle: idle };
	const dir = join(ROOT, "bench/results");
	mkdirSync(dir, { recursive: true });
	writeFileSync(join(dir, "soak-latest.json"), `${JSON.stringify(report, null, "\t")}\n`);

	console.log("");
	console.log(
		`checkouts: ${completed} (${report.checkoutsPerS}/s incl. check-ins), errors: ${errors}`,
	);
	console.log(
		`workerd RSS: ${report.rssMiB.start} MiB at start, ${report.rssMiB.afterWarmup} after ${warm.checkouts} checkouts, max ${report.rssMiB.max}, ${report.rssMiB.end} at the end ` +
			`(${report.rssMiB.growthAfterWarmup >= 0 ? "+" : ""}${report.rssMiB.growthAfterWarmup} MiB after warm-up; ${report.rssSlopeKiBPer1kCheckouts.warmupToMid} then ${report.rssSlopeKiBPer1kCheckouts.midToEnd} KiB per 1k checkouts)`,
	);
	console.log(
		`row payload stored meanwhile: +${report.rowPayloadGrowthMiB} MiB (SQLite files on ${storage.kind}, outside workerd's RSS except for page caches); live borrows peaked at ${report.maxLiveBorrows ?? "(not counted)"}, outbox at ${report.maxOutboxRows ?? "(not counted)"} rows`,
	);
	console.log(
		`stored in the license objects: ${settledRows.checkedIn + settledRows.expired + settledRows.active} borrow rows, ${settledRows.clientTokens} client-token rows, ${settledRows.outbox} outbox rows; ${settledRows.objectMiB} MiB of row payload (before indexes and page overhead)`,
	);
	console.log(
		`D1: ${settledD1.checkouts} checkout rows (${settledD1.checkoutsActive} ACTIVE), ${settledD1.auditEvents} audit events`,
	);
	console.log(`live borrows after the wait: ${settledRows.active}; outbox: ${settledRows.outbox}`);
	console.log(
		`client-token records: ${settledRows.clientTokens} before the purge time, ${purged.clientTokens} after moving purge times back 24 h (expected ${LICENSES}: the trigger checkouts' own records)`,
	);
	printMemory(report.memory);
	console.log("wrote bench/results/soak-latest.json");
	const ok =
		errors === 0 &&
		settledRows.active === 0 &&
		settledRows.outbox === 0 &&
		purged.clientTokens <= LICENSES;
	if (!ok)
		console.error(
			`\n!!!!!!!! SOAK FAILED: errors ${errors} (${firstError}), live ${settledRows.active}, outbox ${settledRows.outbox}, client tokens ${purged.clientTokens} !!!!!!!!`,
		);
	return ok ? 0 : 1;
}

/**
 * SQLite's own allocations summed over the workerd processes (null if unreadable).
 * @param {number[]} pids
 */
function sqliteOf(pids) {
	const each = pids.map(sqliteHeap);
	if (each.some((h) => h === null)) return null;
	const sum = (/** @type {"usedMiB" | "highwaterMiB" | "pageCacheMiB" | "allocations"} */ k) =>
		round(
			each.reduce((t, h) => t + (h?.[k] ?? 0), 0),
			1,
		);
	return {
		usedMiB: sum("usedMiB"),
		highwaterMiB: sum("highwaterMiB"),
		pageCacheMiB: sum("pageCacheMiB"),
		allocations: sum("allocations"),
	};
}

/** Committed V8 heap of every isolate in workerd. */
function v8Total(s) {
	return round(
		Object.values(s.heaps).reduce((t, h) => t + (h.totalMiB ?? 0), 0),
		1,
	);
}

/** Committed V8 heap of the isolates Miniflare adds (all but the product's, D1's and the limiter's). */
function miniflareIsolates(s) {
	return round(
		Object.entries(s.heaps)
			.filter(([k]) => !["core:user:product", "d1:db", "ratelimit:ns"].includes(k))
			.reduce((t, [, h]) => t + (h.totalMiB ?? 0), 0),
		1,
	);
}

/** Durable Object databases and their bytes, summed over every `do/…` folder, and D1's. */
function storageTotals(s) {
	const groups = Object.entries(s.storage?.groups ?? {});
	const sum = (
		/** @type {(name: string) => boolean} */ keep,
		/** @type {"mib" | "walMiB" | "sqliteDatabases"} */ k,
	) =>
		round(
			groups.filter(([n]) => keep(n)).reduce((t, [, g]) => t + g[k], 0),
			1,
		);
	const licenses = (n) => n.includes("LicenseObject");
	const d1 = (n) => n.startsWith("d1") || n.includes("D1Database");
	return {
		licenseObjects: sum(licenses, "sqliteDatabases"),
		licenseMiB: sum(licenses, "mib"),
		licenseWalMiB: sum(licenses, "walMiB"),
		d1MiB: sum(d1, "mib"),
		otherMiB: sum((n) => !licenses(n) && !d1(n), "mib"),
		totalMiB: s.storage?.totalMiB ?? 0,
	};
}

function memoryLine(s) {
	const t = storageTotals(s);
	return (
		`smaps: anon ${s.smaps.anon}, file ${s.smaps.file}, shmem ${s.smaps.shmem} MiB; SQLite ${s.sqlite?.usedMiB ?? "?"} MiB (page cache ${s.sqlite?.pageCacheMiB ?? "?"}, high-water ${s.sqlite?.highwaterMiB ?? "?"}) (mapped storage files ${s.smaps.storageMapped} MiB in ${s.smaps.storageMappings} mappings); ` +
		`storage ${t.totalMiB} MiB: ${t.licenseObjects} license objects ${t.licenseMiB} MiB (WAL ${t.licenseWalMiB}), D1 ${t.d1MiB}, other ${t.otherMiB}; load ${s.load1}`
	);
}

/**
 * Where RSS went between samples: anonymous (heaps, caches), file, shmem; against what
 * Miniflare stored meanwhile; and the slope over the second half of the load, which a
 * leak per checkout or per stored row would make positive.
 */
function memoryReport(samples, during, warm, last) {
	const rows = samples.map((s) => ({
		checkouts: s.checkouts,
		atS: s.atS,
		load1: s.load1,
		...s.smaps,
		...storageTotals(s),
		productHeapMiB: s.heaps["core:user:product"]?.usedMiB ?? null,
		d1HeapMiB: s.heaps["d1:db"]?.usedMiB ?? null,
		// V8 heaps as committed (totalSize) by every isolate; anonymous memory beyond them
		// is malloc: SQLite's page caches (one per open database), workerd, the allocator.
		v8TotalMiB: v8Total(s),
		d1HeapTotalMiB: s.heaps["d1:db"]?.totalMiB ?? null,
		miniflareIsolatesMiB: miniflareIsolates(s),
		anonBeyondV8: round(s.smaps.anon - v8Total(s), 1),
		// SQLite's own allocations (sqlite3_status64), and what is left of the native
		// memory beyond them: workerd's own structures, the allocator's free pages.
		sqliteMiB: s.sqlite?.usedMiB ?? null,
		sqlitePageCacheMiB: s.sqlite?.pageCacheMiB ?? null,
		beyondV8AndSqlite: s.sqlite ? round(s.smaps.anon - v8Total(s) - s.sqlite.usedMiB, 1) : null,
		countingCostMiB:
			s.anonAfterCount !== undefined ? round(s.anonAfterCount - s.smaps.anon, 1) : null,
	}));
	const half = during.filter((s) => s.checkouts >= (during.at(-1)?.checkouts ?? 0) / 2);
	const first = half[0] ?? warm;
	const end = half.at(-1) ?? last;
	const per1k = (/** @type {(s: any) => number} */ f) =>
		end.checkouts === first.checkouts
			? 0
			: round(((f(end) - f(first)) * 1024) / ((end.checkouts - first.checkouts) / 1000), 1);
	const delta = (/** @type {(s: any) => number} */ f) => round(f(last) - f(samples[0]), 1);
	return {
		rows,
		growth: {
			rss: delta((s) => s.smaps.rss),
			anon: delta((s) => s.smaps.anon),
			file: delta((s) => s.smaps.file),
			shmem: delta((s) => s.smaps.shmem),
			storageMapped: delta((s) => s.smaps.storageMapped),
			storageOnTmpfs: delta((s) => s.storage?.totalMiB ?? 0),
		},
		secondHalf: {
			fromCheckouts: first.checkouts,
			toCheckouts: end.checkouts,
			rssKiBPer1k: per1k((s) => s.smaps.rss),
			anonKiBPer1k: per1k((s) => s.smaps.anon),
			v8KiBPer1k: per1k(v8Total),
			anonBeyondV8KiBPer1k: per1k((s) => s.smaps.anon - v8Total(s)),
			sqliteKiBPer1k: per1k((s) => s.sqlite?.usedMiB ?? 0),
			beyondV8AndSqliteKiBPer1k: per1k((s) => s.smaps.anon - v8Total(s) - (s.sqlite?.usedMiB ?? 0)),
			shmemKiBPer1k: per1k((s) => s.smaps.shmem),
			storageKiBPer1k: per1k((s) => s.storage?.totalMiB ?? 0),
		},
	};
}

function printMemory(m) {
	console.log("");
	console.log("memory (MiB; anon/file/shmem from /proc/<pid>/smaps; storage = Miniflare's files):");
	console.log(
		"| checkouts | load | RSS | anon | of which V8 heaps (D1's, Miniflare's other isolates) | anon beyond V8 | of which SQLite (page cache) | rest | counting rows cost | file | shmem | mapped storage | license objects | their files | WAL | D1 files | other files | product heap used |",
	);
	console.log(
		"| ---: | ---: | ---: | ---: | ---: | ---: | ---: | ---: | ---: | ---: | ---: | ---: | ---: | ---: | ---: | ---: | ---: | ---: |",
	);
	for (const r of m.rows)
		console.log(
			`| ${r.checkouts} | ${r.load1} | ${r.rss} | ${r.anon} | ${r.v8TotalMiB} (${r.d1HeapTotalMiB}, ${r.miniflareIsolatesMiB}) | ${r.anonBeyondV8} | ${r.sqliteMiB} (${r.sqlitePageCacheMiB}) | ${r.beyondV8AndSqlite} | ${r.countingCostMiB} | ${r.file} | ${r.shmem} | ${r.storageMapped} | ${r.licenseObjects} | ${r.licenseMiB} | ${r.licenseWalMiB} | ${r.d1MiB} | ${r.otherMiB} | ${r.productHeapMiB} |`,
		);
	const g = m.growth;
	console.log(
		`memory growth start → end: RSS ${g.rss} MiB = anon ${g.anon} + file ${g.file} + shmem ${g.shmem} (of which mapped storage files ${g.storageMapped}); storage files +${g.storageOnTmpfs} MiB`,
	);
	const h = m.secondHalf;
	console.log(
		`memory second half (${h.fromCheckouts} → ${h.toCheckouts} checkouts), KiB per 1k checkouts: RSS ${h.rssKiBPer1k}, anon ${h.anonKiBPer1k} (V8 ${h.v8KiBPer1k}; beyond V8 ${h.anonBeyondV8KiBPer1k}: SQLite ${h.sqliteKiBPer1k}, rest ${h.beyondV8AndSqliteKiBPer1k}), shmem ${h.shmemKiBPer1k}; storage files ${h.storageKiBPer1k}`,
	);
}
