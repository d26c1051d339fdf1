#!/usr/bin/env node
// @ts-check
// npm run bench:profile — V8 CPU profile of the product isolate (and of the
// local D1 and rate-limiter simulators) under fresh-checkout load at 32
// connections, through workerd's inspector. Prints where the isolate's time
// goes and writes .cpuprofile files to bench/results/ (open them in Chrome
// DevTools → Performance, or speedscope).
//
// BENCH_PROFILE_MODE=replay profiles idempotent replays instead.
// BENCH_PRODUCT=bench/.build/whatif/floor/product.js profiles a whatif variant
// (build it with npm run bench:whatif first); BENCH_LIMITER=off unbinds the limiter;
// BENCH_PROFILE_CONNECTIONS (default 32).
import { mkdirSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { checkoutBody, createLicenses, parseCheckout } from "./lib/api.mjs";
import { buildWorkers } from "./lib/build.mjs";
import { ROOT } from "./lib/common.mjs";
import { callOp, makeClient } from "./lib/http.mjs";
import { runPhase, tokenFactory } from "./lib/load.mjs";
import { cdpConnect } from "./lib/proc.mjs";
import {
	applyMigrations,
	makeSecrets,
	seedPrincipal,
	startMiniflare,
	storageDir,
} from "./lib/workerd.mjs";

const SECONDS = Number(process.env.BENCH_SECONDS ?? 6);
const MODE = process.env.BENCH_PROFILE_MODE ?? "fresh";
const CONNECTIONS = Number(process.env.BENCH_PROFILE_CONNECTIONS ?? 32);
const TARGETS = ["core:user:product", "d1:db", "ratelimit:ns"];

const built = await buildWorkers();
const paths = process.env.BENCH_PRODUCT
	? { ...built, product: join(ROOT, process.env.BENCH_PRODUCT) }
	: built;
const secrets = makeSecrets();
const storage = storageDir();
const { mf, productUrl } = await startMiniflare(paths, secrets, {
	persistPath: storage.path,
	inspectorPort: 0,
	limiter:
		process.env.BENCH_LIMITER === "off"
			? "off"
			: process.env.BENCH_LIMITER === "miniflare"
				? "miniflare"
				: "in-process",
});
try {
	await main();
} finally {
	await mf.dispose();
	storage.cleanup();
}

async function main() {
	const db = await applyMigrations(mf);
	const sign = await seedPrincipal(db, secrets);
	const client = makeClient(productUrl, CONNECTIONS);
	const tag = Date.now().toString(36);
	const arns = await createLicenses(client, sign, 100, 60, tag);
	const next = tokenFactory(`${tag}p`);
	let rr = 0;
	const replays = [];
	for (let i = 0; i < arns.length; i++) {
		const body = checkoutBody(arns[i], `${tag}r${i}`);
		const res = await callOp(client, sign, "CheckoutBorrowLicense", body);
		if (!parseCheckout(res)) throw new Error(`seed failed: ${res.body}`);
		replays.push(body);
	}
	const issue =
		MODE === "replay"
			? async () =>
					(await callOp(client, sign, "CheckoutBorrowLicense", replays[rr++ % replays.length]))
						.status === 200
			: async () =>
					!!parseCheckout(
						await callOp(
							client,
							sign,
							"CheckoutBorrowLicense",
							checkoutBody(arns[rr++ % arns.length], next()),
						),
					);
	await runPhase({
		name: "warm-up",
		connections: CONNECTIONS,
		warmupMs: 0,
		durationMs: 2000,
		issue,
	});

	const inspector = await mf.getInspectorURL();
	const sessions = [];
	for (const target of TARGETS) {
		const s = cdpConnect(`${inspector.href.replace(/\/$/, "")}/${target}`);
		await s.opened;
		await s.send("Profiler.enable");
		await s.send("Profiler.setSamplingInterval", { interval: 200 });
		sessions.push([target, s]);
	}
	for (const [, s] of sessions) await s.send("Profiler.start");
	const phase = await runPhase({
		name: `${MODE} under profiler, ${CONNECTIONS} conns`,
		connections: CONNECTIONS,
		warmupMs: 0,
		durationMs: SECONDS * 1000,
		issue,
	});
	const profiles = [];
	for (const [target, s] of sessions) {
		const { profile } = await s.send("Profiler.stop");
		profiles.push([target, profile]);
		s.close();
	}
	client.close();
	console.log(
		`${phase.name}: ${phase.requests} requests, ${phase.rps} req/s (profiler on), errors ${phase.errors}`,
	);

	const dir = join(ROOT, "bench/results");
	mkdirSync(dir, { recursive: true });
	for (const [target, profile] of profiles) {
		const file = join(dir, `${MODE}-${target.replace(/[:]/g, "_")}.cpuprofile`);
		writeFileSync(file, JSON.stringify(profile));
		summarise(target, profile, phase.requests);
	}
}

/** Self and inclusive time per function, in ms per request. */
function summarise(target, profile, requests) {
	const byId = new Map(profile.nodes.map((n) => [n.id, n]));
	const parent = new Map();
	for (const n of profile.nodes) for (const c of n.children ?? []) parent.set(c, n.id);
	const label = (n) => {
		const f = n.callFrame;
		const file = f.url ? f.url.split("/").pop() : "";
		return `${f.functionName || "(anonymous)"}${file ? ` ${file}:${f.lineNumber + 1}` : ""}`;
	};
	const self = new Map();
	const incl = new Map();
	let total = 0;
	let idle = 0;
	for (let i = 0; i < profile.samples.length; i++) {
		const dt = (profile.timeDeltas[i + 1] ?? 0) / 1000;
		const node = byId.get(profile.samples[i]);
		const name = label(node);
		if (node.callFrame.functionName === "(idle)") {
			idle += dt;
			continue;
		}
		total += dt;
		self.set(name, (self.get(name) ?? 0) + dt);
		const seen = new Set();
		for (let id = node.id; id !== undefined; id = parent.get(id)) {
			const l = label(byId.get(id));
			if (seen.has(l)) continue;
			seen.add(l);
			incl.set(l, (incl.get(l) ?? 0) + dt);
		}
	}
	const per = (ms) => (ms / requests).toFixed(3);
	console.log(
		`\n== ${target}: ${per(total)} ms/request sampled busy (${(total / 1000).toFixed(2)} s; idle ${(idle / 1000).toFixed(2)} s)`,
	);
	console.log("  top self time (ms/request):");
	for (const [name, ms] of [...self].sort((a, b) => b[1] - a[1]).slice(0, 25))
		console.log(`    ${per(ms).padStart(7)}  ${name}`);
	console.log("  top inclusive time (ms/request):");
	for (const [name, ms] of [...incl].sort((a, b) => b[1] - a[1]).slice(0, 30))
		console.log(`    ${per(ms).padStart(7)}  ${name}`);
}
