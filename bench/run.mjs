#!/usr/bin/env node
// @ts-check
// npm run bench — the checkout hot path under Miniflare (workerd, no wrangler
// dev proxy), production code unchanged. See BENCHMARKS.md for the method.
//
// `npm run bench -- --quick`: every phase and stage, short (CI runs it so the
// harness cannot rot). It asserts nothing about speed, only that the bench runs
// end to end with no request errors; its figures are not worth comparing.
//
// Env knobs: BENCH_SECONDS (measured seconds per load phase, default 10),
// BENCH_WARMUP_SECONDS (default 2), BENCH_LICENSES (default 100),
// BENCH_LIMITER=miniflare|off (the per-key Rate Limiting bindings: by default an
// in-process binding with Miniflare's semantics, as production's binding is in
// process; Miniflare's own simulation is a fetch into a Durable Object per call,
// and one phase measures the product with it for comparison).
import { mkdirSync, writeFileSync } from "node:fs";
import { availableParallelism, loadavg } from "node:os";
import { join } from "node:path";
import { checkoutBody, createLicenses, parseCheckout } from "./lib/api.mjs";
import { buildWorkers } from "./lib/build.mjs";
import { BENCH_ACCOUNT, BENCH_KEY_ID, ROOT, round } from "./lib/common.mjs";
import { callOp, makeClient } from "./lib/http.mjs";
import { runPhase, tokenFactory } from "./lib/load.mjs";
import {
	machineInfo,
	procCpuSeconds,
	procRssMiB,
	productRevision,
	threadsOf,
	waitIdle,
	workerdPids,
} from "./lib/proc.mjs";
import {
	applyMigrations,
	makeSecrets,
	runAndExit,
	seedPrincipal,
	startMiniflare,
	storageDir,
	workerdLog,
} from "./lib/workerd.mjs";

const QUICK = process.argv.includes("--quick");
const SECONDS = QUICK ? 1 : Number(process.env.BENCH_SECONDS ?? 10);
const WARMUP = QUICK ? 0.3 : Number(process.env.BENCH_WARMUP_SECONDS ?? 2);
const LICENSES = QUICK ? 10 : Number(process.env.BENCH_LICENSES ?? 100);
/** @type {import("./lib/workerd.mjs").LimiterMode} */
const LIMITER =
	process.env.BENCH_LIMITER === "off"
		? "off"
		: process.env.BENCH_LIMITER === "miniflare"
			? "miniflare"
			: "in-process";
const SIGN_N = QUICK ? 40 : 400;
/** Batch sizes of the stages, scaled down with --quick. */
const N = (/** @type {number} */ n) => (QUICK ? Math.max(10, Math.round(n / 20)) : n);
/** How long to wait for workerd to go idle between phases. */
const IDLE_MS = QUICK ? 800 : 20_000;

const TARGETS = {
	checkoutPerSign: 0.65,
	p50PerSign: 1.8,
	replayPerFresh: 3,
	ceilingPerSignRate: 2.5,
};

const started = performance.now();
const loadBefore = loadavg()
	.map((x) => x.toFixed(2))
	.join(" ");
const log = (msg) => console.log(`[${((performance.now() - started) / 1000).toFixed(1)}s] ${msg}`);

const paths = await buildWorkers();
log("built product and stage worker with esbuild");
const secrets = makeSecrets();
const storage = storageDir();
// "product-mf": the same build with Miniflare's simulated limiter, for the headline's other form.
const COMPARE_MF = LIMITER === "in-process";
const { mf, productUrl, stageUrl, variantUrls } = await startMiniflare(paths, secrets, {
	limiter: LIMITER,
	persistPath: storage.path,
	variants: COMPARE_MF ? [{ name: "product-mf", path: paths.product, limiter: "miniflare" }] : [],
});
await runAndExit(mf, storage, main);

async function main() {
	const db = await applyMigrations(mf);
	const sign = await seedPrincipal(db, secrets);
	const pids = workerdPids();
	if (pids.length === 0) throw new Error("no workerd child process found");
	log(
		`workerd pid ${pids.join(",")} (${threadsOf(pids[0])} threads), product ${productUrl.href}, stage ${stageUrl.href}`,
	);

	const runTag = Date.now().toString(36);
	const client1 = makeClient(productUrl, 1);
	const client32 = makeClient(productUrl, 32);
	const stage = makeClient(stageUrl, 32);
	/**
	 * @param {string} name
	 * @param {Record<string, unknown>} q
	 */
	const stageCall = async (name, q) => {
		await waitIdle(pids, QUICK ? 400 : 5000);
		const cpu0 = procCpuSeconds(pids);
		const t0 = performance.now();
		const res = await stage.request(
			"POST",
			`/${name}`,
			{ "Content-Type": "application/json" },
			JSON.stringify(q),
		);
		const ms = performance.now() - t0;
		const cpuMs = (procCpuSeconds(pids) - cpu0) * 1000;
		const out = res.status === 200 ? JSON.parse(res.body) : { errors: 1, firstError: res.body };
		if (out.errors) throw new Error(`stage ${name} failed: ${out.firstError}`);
		return { ms, cpuMs, n: out.n };
	};

	const arns = await createLicenses(client32, sign, LICENSES, 60, runTag);
	log(`created ${arns.length} licenses`);

	// A real token, to sign payloads of the real size.
	const first = parseCheckout(
		await callOp(client32, sign, "CheckoutBorrowLicense", checkoutBody(arns[0], `${runTag}first`)),
	);
	if (!first) throw new Error("first checkout failed");
	const payload = first.SignedToken.split(".").slice(0, 2).join(".");
	const claims = JSON.parse(Buffer.from(first.SignedToken.split(".")[1], "base64url").toString());

	// ---- raw signing inside workerd ----
	// Measured right before and after the phases it is compared with (this VM's
	// speed drifts by 10-20 % over a minute): S0 fresh1 S1 fresh32 S2. A
	// measurement's rate is the better of sequential and 32 concurrent.
	await stageCall("sign", { payload, n: QUICK ? 5 : 50, concurrency: 1 });
	/** @param {string} label */
	const measureSign = async (label) => {
		const seq = await stageCall("sign", { payload, n: SIGN_N, concurrency: 1 });
		const par = await stageCall("sign", { payload, n: SIGN_N, concurrency: 32 });
		const m = { seq, par, seqRate: (SIGN_N * 1000) / seq.ms, parRate: (SIGN_N * 1000) / par.ms };
		m.rate = Math.max(m.seqRate, m.parRate);
		m.cpuMs = Math.min(seq.cpuMs, par.cpuMs) / SIGN_N;
		log(
			`raw PS384 (RSA-3072) ${label}: ${m.seqRate.toFixed(0)}/s sequential, ${m.parRate.toFixed(0)}/s 32 concurrent`,
		);
		return m;
	};
	const signs = [await measureSign("S0")];

	const rssBefore = procRssMiB(pids);
	const phases = {};
	/**
	 * @param {ReturnType<typeof makeClient>} client
	 * @param {() => string} pick
	 * @param {typeof sign} [signer]
	 */
	const fresh = (client, pick, signer = sign) => {
		const next = tokenFactory(`${runTag}f${Object.keys(phases).length}x`);
		return async () => {
			const res = await callOp(
				client,
				signer,
				"CheckoutBorrowLicense",
				checkoutBody(pick(), next()),
			);
			return parseCheckout(res) ? true : `${res.status} ${res.body.slice(0, 300)}`;
		};
	};
	let rr = 0;
	const spread = () => arns[rr++ % arns.length];
	const hot = () => arns[0];
	/**
	 * @param {string} key
	 * @param {string} name
	 * @param {number} connections
	 * @param {() => Promise<true | string>} issue
	 */
	const phase = async (key, name, connections, issue) => {
		await waitIdle(pids, IDLE_MS);
		phases[key] = await runPhase({
			name,
			connections,
			warmupMs: WARMUP * 1000,
			durationMs: SECONDS * 1000,
			issue,
		});
		const p = phases[key];
		log(`${name}: ${p.rps} req/s, p50 ${p.p50Ms} ms, p99 ${p.p99Ms} ms, errors ${p.errors}`);
	};

	await phase("fresh1", "fresh checkout, 1 conn, 100 licenses", 1, fresh(client1, spread));
	signs.push(await measureSign("S1"));
	await phase("fresh32", "fresh checkout, 32 conns, 100 licenses", 32, fresh(client32, spread));
	await waitIdle(pids);
	signs.push(await measureSign("S2"));
	await phase("hot32", "fresh checkout, 32 conns, 1 hot license", 32, fresh(client32, hot));
	if (COMPARE_MF) {
		// The same build with Miniflare's simulated limiter: its own D1, principal and licenses.
		const mfDb = await applyMigrations(mf, "product-mf");
		const mfSign = await seedPrincipal(mfDb, secrets);
		const mfClient = makeClient(/** @type {URL} */ (variantUrls["product-mf"]), 32);
		const mfArns = await createLicenses(mfClient, mfSign, LICENSES, 60, `${runTag}mf`);
		let mr = 0;
		await phase(
			"fresh32mf",
			"fresh checkout, 32 conns, 100 licenses, Miniflare's limiter",
			32,
			fresh(mfClient, () => /** @type {string} */ (mfArns[mr++ % mfArns.length]), mfSign),
		);
		mfClient.close();
	}

	// Replays: one stored checkout per license, each re-sent (re-signed SigV4, same body) over and over.
	const replays = [];
	for (let i = 0; i < arns.length; i++) {
		const body = checkoutBody(arns[i], `${runTag}replay${i}`);
		const res = await callOp(client32, sign, "CheckoutBorrowLicense", body);
		if (!parseCheckout(res)) throw new Error(`replay seed ${i} failed: ${res.status} ${res.body}`);
		replays.push({ body, response: res.body });
	}
	let rp = 0;
	await phase("replay32", "replay (same ClientToken), 32 conns", 32, async () => {
		const r = replays[rp++ % replays.length];
		const res = await callOp(client32, sign, "CheckoutBorrowLicense", r.body);
		if (res.status !== 200) return `${res.status} ${res.body.slice(0, 300)}`;
		return res.body === r.response ? true : "replay differs from the stored response";
	});

	log(
		`waited ${await waitIdle(pids, IDLE_MS)} ms for workerd to go idle (alarms draining the outbox)`,
	);
	const mean = (xs) => xs.reduce((a, b) => a + b, 0) / xs.length;
	// fresh32 is compared with S1 and S2, fresh1's p50 with S0 and S1.
	const signRate = mean([signs[1].rate, signs[2].rate]);
	const msPerSign = 1000 / signRate;
	const msPerSignAround1 = 1000 / mean([signs[0].rate, signs[1].rate]);
	const cpuMsPerSign = mean(signs.map((m) => m.cpuMs));
	const seqRate = mean(signs.map((m) => m.seqRate));
	const parRate = mean(signs.map((m) => m.parRate));
	const signSeq = signs[1].seq;
	const signPar = signs[1].par;

	// ---- stages ----
	const stageSeconds = QUICK ? 0.5 : Math.max(2, Math.round(SECONDS / 3));
	const stageRuns = {};
	/**
	 * @param {string} key
	 * @param {string} name
	 * @param {ReturnType<typeof makeClient>} client
	 * @param {string} method
	 * @param {string} path
	 * @param {(res: { status: number, body: string }) => boolean} check
	 */
	const stagePhase = async (key, name, client, method, path, check, connections = 32) => {
		await waitIdle(pids, QUICK ? 400 : 5000);
		stageRuns[key] = await runPhase({
			name,
			connections,
			warmupMs: QUICK ? 100 : 500,
			durationMs: stageSeconds * 1000,
			issue: async () => {
				const res = await client.request(method, path, undefined, undefined);
				return check(res) ? true : `${res.status} ${res.body.slice(0, 200)}`;
			},
		});
	};
	const stage1 = makeClient(stageUrl, 1);
	await stagePhase(
		"httpEmpty1",
		"HTTP round trip, empty worker, 1 conn (wall = p50)",
		stage1,
		"GET",
		"/empty",
		(r) => r.status === 200,
		1,
	);
	stage1.close();
	await stagePhase(
		"httpEmpty",
		"HTTP round trip, empty worker, 32 conns",
		stage,
		"GET",
		"/empty",
		(r) => r.status === 200,
	);
	await stagePhase(
		"httpJwks",
		"HTTP round trip, product GET /.well-known/jwks.json, 32 conns",
		client32,
		"GET",
		"/.well-known/jwks.json",
		(r) => r.status === 200,
	);

	const sampleBody = checkoutBody(arns[1], `${runTag}sigv4sample`);
	const sampleHeaders = sign("CheckoutBorrowLicense", sampleBody, productUrl.host);
	/** @param {string} tag @param {string[]} licenses @param {boolean} [signIt] */
	const objectShare = (tag, licenses, signIt = false) =>
		stageCall("doCheckout", {
			arns: licenses,
			n: N(1500),
			concurrency: 32,
			tag: `${runTag}${tag}`,
			account: BENCH_ACCOUNT,
			accessKeyId: BENCH_KEY_ID,
			sign: signIt,
		});
	/** @type {Record<string, [string, { ms: number, cpuMs: number }, number]>} */
	const batches = {
		signRaw: ["raw PS384 sign (sequential)", signSeq, SIGN_N],
		signRaw32: ["raw PS384 sign (32 concurrent)", signPar, SIGN_N],
		token: [
			"Worker signs a decided checkout (key, base64url, sign)",
			await stageCall("token", { claims, n: N(300) }),
			N(300),
		],
		sigv4: [
			"product verifySigV4 + body SHA-256 (cached key)",
			await stageCall("sigv4", {
				headers: Object.entries(sampleHeaders),
				body: sampleBody,
				secret: secrets.principalSecret,
				n: N(2000),
			}),
			N(2000),
		],
		limiter: [
			"rate-limit binding .limit() (Miniflare: fetch → DO)",
			await stageCall("limiter", { n: N(1000), concurrency: 1 }),
			N(1000),
		],
		rpcNoop: [
			"DO RPC no-op, 32 concurrent",
			await stageCall("rpcNoop", { n: N(4000), concurrency: 32 }),
			N(4000),
		],
		rpcWrite: [
			"DO RPC + checkout-shaped SQLite txn, 32 conc.",
			await stageCall("rpcWrite", { n: N(4000), concurrency: 32, tag: `${runTag}w` }),
			N(4000),
		],
		objectShare: [
			"license object's share: decide + store-back RPCs, 1 lic.",
			await objectShare("oh", [/** @type {string} */ (arns[0])]),
			N(1500),
		],
		objectShareSpread: [
			"license object's share: decide + store-back RPCs, all lic.",
			await objectShare("os", arns),
			N(1500),
		],
		doCheckoutSigned: [
			"decide + Worker signs + store-back, no HTTP, 1 lic.",
			await objectShare("ds", [/** @type {string} */ (arns[0])], true),
			N(1500),
		],
		queries: [
			"4 queries of the alarm's schedule() (one round)",
			await stageCall("queries", { n: N(5000) }),
			N(5000),
		],
		setAlarm: [
			"storage.setAlarm() moving the alarm",
			await stageCall("setAlarms", { n: N(5000) }),
			N(5000),
		],
		alarm: [
			"one alarm invocation (empty handler, re-armed)",
			await stageCall("alarmLoop", { n: N(300) }),
			N(300),
		],
		d1Batch2: [
			"D1 batch of 2 inserts (one checkout's drain), per batch",
			await stageCall("d1", { n: N(600), batch: 2, tag: `${runTag}e` }),
			N(600) / 2,
		],
		d1Row: [
			"D1 batch insert, per row (batches of 200)",
			await stageCall("d1", { n: N(4000), batch: 200, tag: `${runTag}d` }),
			N(4000),
		],
	};
	const stages = {};
	for (const [key, [name, r, n]] of Object.entries(batches)) {
		stages[key] = {
			name,
			n,
			wallMsPerOp: round(r.ms / n, 4),
			workerdCpuMsPerOp: round(r.cpuMs / n, 4),
		};
	}
	for (const [key, p] of Object.entries(stageRuns)) {
		const wall = p.connections === 1 ? p.p50Ms : 1000 / p.rps;
		stages[key] = {
			name: p.name,
			n: p.requests,
			wallMsPerOp: round(wall, 4),
			workerdCpuMsPerOp: p.cpu.workerdMsPerReq,
			errors: p.errors,
		};
	}

	const rssAfter = procRssMiB(pids);
	client1.close();
	client32.close();
	stage.close();

	// ---- report ----
	const f1 = phases.fresh1;
	const f32 = phases.fresh32;
	const ratios = {
		checkoutPerSign: round(f32.rps / signRate, 3),
		p50PerSign: round(f1.p50Ms / msPerSignAround1, 3),
		replayPerFresh: round(phases.replay32.rps / f32.rps, 3),
		hotPerSpread: round(phases.hot32.rps / f32.rps, 3),
		// Contention-proof variant: workerd CPU per signature ÷ workerd CPU per fresh checkout.
		checkoutPerSignByCpu: round(cpuMsPerSign / f32.cpu.workerdMsPerReq, 3),
		replayPerFreshByCpu: round(f32.cpu.workerdMsPerReq / phases.replay32.cpu.workerdMsPerReq, 3),
		// The same two ratios for the product with Miniflare's simulated limiter.
		checkoutPerSignMf: phases.fresh32mf ? round(phases.fresh32mf.rps / signRate, 3) : null,
		checkoutPerSignByCpuMf: phases.fresh32mf
			? round(cpuMsPerSign / phases.fresh32mf.cpu.workerdMsPerReq, 3)
			: null,
	};
	// The license object's CPU per checkout (decision + store-back, stage "objectShare"):
	// one object runs on one thread, so 1000 / that is one license's ceiling.
	const objectCpuMs = stages.objectShare?.workerdCpuMsPerOp ?? Number.NaN;
	const perLicenseCeiling = 1000 / objectCpuMs;
	const ceilingPerSignRate = cpuMsPerSign / objectCpuMs;
	const targetsMet = {
		checkoutPerSignByCpu: ratios.checkoutPerSignByCpu >= TARGETS.checkoutPerSign,
		checkoutPerSign: ratios.checkoutPerSign >= TARGETS.checkoutPerSign,
		ceilingPerSignRate: ceilingPerSignRate >= TARGETS.ceilingPerSignRate,
		p50PerSign: ratios.p50PerSign <= TARGETS.p50PerSign,
		replayPerFresh: ratios.replayPerFresh >= TARGETS.replayPerFresh,
	};
	const errors =
		Object.values(phases).reduce((s, p) => s + p.errors, 0) +
		Object.values(stageRuns).reduce((s, p) => s + p.errors, 0);

	console.log("");
	const cols = [
		"phase",
		"conns",
		"req/s",
		"p50 ms",
		"p99 ms",
		"errors",
		"workerd CPU",
		"loadgen CPU",
		"other procs",
		"workerd CPU ms/req",
	];
	const rows = Object.values(phases).map((p) => [
		p.name,
		p.connections,
		p.rps.toFixed(1),
		p.p50Ms.toFixed(2),
		p.p99Ms.toFixed(2),
		p.errors,
		`${p.cpu.workerdPct}%`,
		`${p.cpu.generatorPct}%`,
		`${p.cpu.otherProcessesPct}%`,
		p.cpu.workerdMsPerReq.toFixed(3),
	]);
	printTable(cols, rows);
	console.log("");
	printTable(
		["stage (inside workerd unless noted)", "wall ms/op", "workerd CPU ms/op"],
		Object.values(stages).map((s) => [
			s.name,
			s.wallMsPerOp.toFixed(3),
			s.workerdCpuMsPerOp.toFixed(3),
		]),
	);
	console.log("");
	const met = (/** @type {boolean} */ ok) => (ok ? "met" : "NOT met");
	const busiest = Math.max(...Object.values(phases).map((p) => p.cpu.otherProcessesPct));
	// The headline first: CPU cost is measured on workerd alone, so other processes and
	// the VM's drifting speed barely move it; the wall-clock ratio stands beside it.
	console.log(
		`HEADLINE checkout/sign by workerd CPU cost: ${ratios.checkoutPerSignByCpu.toFixed(2)} (target ≥ ${TARGETS.checkoutPerSign}: ${met(targetsMet.checkoutPerSignByCpu)}); ` +
			`by wall clock ${ratios.checkoutPerSign.toFixed(2)}; ` +
			`limiter: ${LIMITER === "in-process" ? "in-process binding with Miniflare's semantics (bench/workers/product-entry.js)" : LIMITER === "miniflare" ? "Miniflare's simulation" : "OFF"}` +
			(ratios.checkoutPerSignByCpuMf !== null
				? `; with Miniflare's simulated limiter (a fetch into a Durable Object per call): by CPU ${ratios.checkoutPerSignByCpuMf.toFixed(2)}, by wall clock ${ratios.checkoutPerSignMf?.toFixed(2)}`
				: ""),
	);
	console.log(
		busiest > 15
			? `WARNING: other processes took up to ${busiest}% of a core during the phases (load average ${loadBefore} before the run): wall-clock figures are depressed, CPU-cost ratios less so (a busy sibling core slows the overhead more than RSA arithmetic).`
			: `other processes: at most ${busiest}% of a core during the phases (load average ${loadBefore} before the run)`,
	);
	console.log(
		`raw sign rate: ${signRate.toFixed(0)} signatures/s around fresh32 (${msPerSign.toFixed(3)} ms each), ${msPerSignAround1.toFixed(3)} ms around fresh1; ` +
			`S0/S1/S2 ${signs.map((m) => m.rate.toFixed(0)).join("/")} per s; mean sequential ${seqRate.toFixed(0)}/s, 32 concurrent ${parRate.toFixed(0)}/s`,
	);
	console.log(
		`checkout/sign ratio: ${ratios.checkoutPerSign.toFixed(2)}  (wall clock; target ≥ ${TARGETS.checkoutPerSign}: ${met(targetsMet.checkoutPerSign)})`,
	);
	console.log(
		`single-connection p50 / one signature: ${ratios.p50PerSign.toFixed(2)}  (target ≤ ${TARGETS.p50PerSign}: ${met(targetsMet.p50PerSign)})`,
	);
	console.log(
		`replay/fresh ratio: ${ratios.replayPerFresh.toFixed(2)}  (target ≥ ${TARGETS.replayPerFresh}: ${met(targetsMet.replayPerFresh)})`,
	);
	console.log(
		`by workerd CPU cost (robust to other load on the machine): checkout/sign ${ratios.checkoutPerSignByCpu.toFixed(2)}, replay/fresh ${ratios.replayPerFreshByCpu.toFixed(2)} (${cpuMsPerSign.toFixed(3)} CPU ms per signature, ${f32.cpu.workerdMsPerReq.toFixed(3)} per checkout)`,
	);
	console.log(
		`hot license / spread: ${ratios.hotPerSpread.toFixed(2)}  (locally one thread serves everything: this shows overhead, not production's per-object limit)`,
	);
	console.log(
		`per-license ceiling (the object decides and commits, the Worker signs; 1000 / the object's ${objectCpuMs.toFixed(3)} CPU ms per checkout): ${perLicenseCeiling.toFixed(0)} checkouts/s, ${ceilingPerSignRate.toFixed(2)}× one thread's signing rate (target ≥ ${TARGETS.ceilingPerSignRate}: ${met(targetsMet.ceilingPerSignRate)})`,
	);
	console.log(
		`workerd RSS: ${rssBefore.toFixed(1)} MiB before load, ${rssAfter.toFixed(1)} MiB after (${(rssAfter - rssBefore >= 0 ? "+" : "") + (rssAfter - rssBefore).toFixed(1)} MiB)`,
	);
	console.log(
		`request log lines written by the product (counted, not printed): ${workerdLog.requestLines}`,
	);
	console.log(
		`storage: ${storage.kind}; product ${productRevision()}${QUICK ? "; --quick (figures not comparable)" : ""}`,
	);

	const result = {
		at: new Date().toISOString(),
		machine: { ...machineInfo(), nproc: availableParallelism() },
		node: process.version,
		product: productRevision(),
		config: {
			seconds: SECONDS,
			warmupSeconds: WARMUP,
			licenses: LICENSES,
			limiter: LIMITER,
			storage: storage.kind,
			key: "RSA-3072 PS384",
		},
		sign: {
			sequentialPerS: round(seqRate, 1),
			concurrentPerS: round(parRate, 1),
			ratePerS: round(signRate, 1),
			msPerSignature: round(msPerSign, 4),
			msPerSignatureAroundFresh1: round(msPerSignAround1, 4),
			cpuMsPerSignature: round(cpuMsPerSign, 4),
			runs: signs.map((r, i) => ({
				at: `S${i}`,
				sequentialPerS: round(r.seqRate, 1),
				concurrentPerS: round(r.parRate, 1),
				cpuMsPerSignature: round(r.cpuMs, 4),
			})),
		},
		phases,
		stages,
		ratios,
		targets: TARGETS,
		targetsMet,
		objectCpuMsPerCheckout: round(objectCpuMs, 4),
		perLicenseCeilingPerS: round(perLicenseCeiling, 0),
		perLicenseCeilingPerSignRate: round(ceilingPerSignRate, 3),
		quick: QUICK,
		loadAverageBefore: loadBefore,
		workerdRssMiB: { before: round(rssBefore, 1), after: round(rssAfter, 1) },
		errors,
		totalSeconds: round((performance.now() - started) / 1000, 1),
	};
	const dir = join(ROOT, "bench/results");
	mkdirSync(dir, { recursive: true });
	const file = QUICK ? "quick-latest.json" : "latest.json";
	writeFileSync(join(dir, file), `${JSON.stringify(result, null, "\t")}\n`);
	log(`wrote bench/results/${file}`);

	if (errors > 0) {
		console.error(
			`\n!!!!!!!! ${errors} REQUEST(S) FAILED — the figures above are not valid !!!!!!!!`,
		);
		for (const p of [...Object.values(phases), ...Object.values(stageRuns)])
			if (p.errors) console.error(`  ${p.name}: ${p.errors} errors; first: ${p.firstError}`);
		return 1;
	}
	return 0;
}

function printTable(cols, rows) {
	const widths = cols.map((c, i) =>
		Math.max(String(c).length, ...rows.map((r) => String(r[i]).length)),
	);
	const line = (cells) =>
		cells
			.map((c, i) => (i === 0 ? String(c).padEnd(widths[i]) : String(c).padStart(widths[i])))
			.join("  ");
	console.log(line(cols));
	console.log(widths.map((w) => "-".repeat(w)).join("  "));
	for (const r of rows) console.log(line(r));
}
