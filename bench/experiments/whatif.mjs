#!/usr/bin/env node
// @ts-check
// An experiment, not part of the bench proper (and never of CI). It patches a COPY
// of src/ with regular expressions, so it is only as good as its anchors: when the
// code moves, a variant whose anchor is gone is skipped with a message, and the
// patches must be rewritten by hand. Use it to ask "what if this stage were free?",
// then confirm with `npm run bench` on real code.
//
// npm run bench:whatif — attributes the checkout overhead by measuring variants
// of the product built from a patched COPY of src/ (bench/.build/whatif/; src/
// itself is never touched). Each variant answers "what would this stage cost if
// it were free (or done differently)?"; none of them is a patch to ship as is.
//
//   nolimiter   Rate Limiting bindings left unbound (locally each .limit() is a fetch to a DO)
//   nodrain     outbox never drained during the run (its alarm is never scheduled)
//   noalarm     nodrain + scheduleAlarm() does nothing: no alarm invocations at all
//   coalesce    OUTBOX_COALESCE_MS (how long checkout records gather before the drain
//               alarm) set to BENCH_DRAIN_DELAY_MS (default 5000)
//   nosign      crypto.subtle.sign replaced by a constant 384-byte signature
//   nolog       no request log line (SPEC §12's one JSON line per request)
//   nostoreback the Worker answers without storing its signed response back (one RPC
//               and one write fewer per fresh checkout). PS384 signatures are salted,
//               so replays then sign again and differ: the variant's replays are
//               checked as checkouts, not as byte-identical, and cost a signature
//   floor       nolimiter + noalarm + nosign: what is left of the path
//
// Each variant runs in the same workerd as the unmodified product ("base"), each
// with its own objects and D1, and the two are measured alternately
// (BENCH_REPEAT rounds, default 3; medians reported), so drift of this shared
// VM cancels out. BENCH_VARIANTS=nodrain,nosign picks some; BENCH_SECONDS (default 4).
import { cpSync, existsSync, mkdirSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { checkoutBody, createLicenses, parseCheckout } from "../lib/api.mjs";
import { buildWorkers, bundle, stopEsbuild } from "../lib/build.mjs";
import { ROOT, round } from "../lib/common.mjs";
import { callOp, makeClient } from "../lib/http.mjs";
import { runPhase, tokenFactory } from "../lib/load.mjs";
import { waitIdle, workerdPids } from "../lib/proc.mjs";
import {
	applyMigrations,
	makeSecrets,
	seedPrincipal,
	startMiniflare,
	storageDir,
} from "../lib/workerd.mjs";

const SECONDS = Number(process.env.BENCH_SECONDS ?? 4);
const REPEAT = Number(process.env.BENCH_REPEAT ?? 3);
const DRAIN_DELAY_MS = Number(process.env.BENCH_DRAIN_DELAY_MS ?? 5000);

const P = {
	nodrain: {
		file: "license/storage.ts",
		find: /(nextOutboxAttempt\(\)[^\n]*\{)\n/,
		replace: "$1\n\t\treturn null; // whatif: never schedule the drain\n",
	},
	noalarm: {
		file: "license/alarm.ts",
		find: /(\n\tschedule\(\): void \{)\n/,
		replace: "$1\n\t\treturn; // whatif: no alarm bookkeeping\n",
	},
	coalesce: {
		file: "license/alarm.ts",
		find: /const OUTBOX_COALESCE_MS = [\d_]+;/,
		replace: `const OUTBOX_COALESCE_MS = ${DRAIN_DELAY_MS}; // whatif`,
	},
	nolog: {
		file: "log.ts",
		find: /(export function logRequest\(line: RequestLogLine\): void \{)\n/,
		replace: "$1\n\treturn; // whatif: no request log line\n",
	},
	nostoreback: {
		file: "operations/checkoutBorrowLicense.ts",
		find: /return unwrap\(\n\t\tawait stub\.storeCheckoutResponse\(\n\t\t\tcaller,\n\t\t\treq\.clientToken,\n\t\t\t(signedCheckoutResponse\(unsigned, signedToken\)),\n\t\t\),\n\t\);/,
		replace: "return $1; // whatif: no store-back RPC",
	},
	nosign: {
		file: "signing/token.ts",
		find: /await crypto\.subtle\.sign\(/,
		replace: "await ((..._a) => Promise.resolve(new Uint8Array(384).buffer))(",
	},
};

const VARIANTS = {
	nolimiter: { patches: [], limiter: false },
	nodrain: { patches: [P.nodrain], limiter: true },
	noalarm: { patches: [P.nodrain, P.noalarm], limiter: true },
	coalesce: { patches: [P.coalesce], limiter: true },
	nosign: { patches: [P.nosign], limiter: true },
	nolog: { patches: [P.nolog], limiter: true },
	nostoreback: { patches: [P.nostoreback], limiter: true, replaysDiffer: true },
	floor: { patches: [P.nodrain, P.noalarm, P.nosign], limiter: false },
};

const chosen = (process.env.BENCH_VARIANTS ?? Object.keys(VARIANTS).join(",")).split(",");
const basePaths = await buildWorkers();
const secrets = makeSecrets();
const results = [];

for (const name of chosen) {
	const variant = VARIANTS[name];
	if (!variant) throw new Error(`unknown variant ${name}`);
	const product = await buildVariant(name, variant.patches);
	if (!product) continue;
	results.push(await compare(name, product, variant.limiter, variant.replaysDiffer === true));
}

console.log("\nmedians of alternating runs; Δ = variant − base (workerd CPU ms per request)");
const cols = [
	"variant",
	"fresh32 req/s base→var",
	"fresh32 ms/req Δ",
	"fresh1 p50 ms base→var",
	"fresh1 ms/req Δ",
	"replay32 req/s base→var",
	"replay ms/req Δ",
];
console.log(cols.join(" | "));
for (const r of results) {
	const f = (k, m) => `${r.base[k][m]}→${r.variant[k][m]}`;
	const d = (k) => (r.variant[k].cpuMs - r.base[k].cpuMs).toFixed(3);
	console.log(
		[
			r.name,
			f("fresh32", "rps"),
			d("fresh32"),
			f("fresh1", "p50Ms"),
			d("fresh1"),
			f("replay32", "rps"),
			d("replay32"),
		].join(" | "),
	);
}
mkdirSync(join(ROOT, "bench/results"), { recursive: true });
writeFileSync(
	join(ROOT, "bench/results/whatif-latest.json"),
	`${JSON.stringify(results, null, "\t")}\n`,
);
if (results.some((r) => r.errors > 0)) {
	console.error(
		"\n!!!!!!!! some requests failed — see errors in bench/results/whatif-latest.json !!!!!!!!",
	);
	process.exitCode = 1;
}

async function buildVariant(name, patches) {
	const dir = join(ROOT, "bench/.build/whatif", name);
	rmSync(dir, { recursive: true, force: true });
	mkdirSync(dir, { recursive: true });
	cpSync(join(ROOT, "src"), join(dir, "src"), { recursive: true });
	for (const p of patches) {
		const file = join(dir, "src", p.file);
		const text = existsSync(file) ? readFileSync(file, "utf8") : "";
		if (!p.find.test(text)) {
			console.log(
				`${name}: skipped (anchor ${p.find} not found in src/${p.file}; the product changed)`,
			);
			return null;
		}
		writeFileSync(file, text.replace(p.find, p.replace));
	}
	const outfile = join(dir, "product.js");
	try {
		await bundle(join(dir, "src/index.ts"), outfile, "silent");
	} catch (error) {
		const err = /** @type {Error} */ (error);
		console.log(
			`${name}: skipped (the patched copy does not build: ${String(err.message).split("\n")[1] ?? err.message})`,
		);
		return null;
	} finally {
		await stopEsbuild();
	}
	return outfile;
}

function median(xs) {
	const s = [...xs].sort((a, b) => a - b);
	return s.length % 2 ? s[(s.length - 1) / 2] : (s[s.length / 2 - 1] + s[s.length / 2]) / 2;
}

async function compare(name, variantPath, variantLimiter, variantReplaysDiffer) {
	const storage = storageDir();
	const { mf, productUrl, variantUrls } = await startMiniflare(basePaths, secrets, {
		persistPath: storage.path,
		variants: [{ name, path: variantPath, limiter: variantLimiter }],
	});
	try {
		const pids = workerdPids();
		const sides = {};
		for (const [side, worker, url] of [
			["base", "product", productUrl],
			["variant", name, variantUrls[name]],
		]) {
			const db = await applyMigrations(mf, worker);
			const sign = await seedPrincipal(db, secrets);
			const c32 = makeClient(url, 32);
			const c1 = makeClient(url, 1);
			const tag = `${side}${Date.now().toString(36)}`;
			const arns = await createLicenses(c32, sign, 100, 60, tag);
			const replays = [];
			for (let i = 0; i < arns.length; i++) {
				const body = checkoutBody(arns[i], `${tag}r${i}`);
				const res = await callOp(c32, sign, "CheckoutBorrowLicense", body);
				if (!parseCheckout(res)) throw new Error(`${side}: replay seed failed: ${res.body}`);
				replays.push({ body, response: res.body });
			}
			sides[side] = {
				sign,
				c32,
				c1,
				tag,
				arns,
				replays,
				rr: 0,
				rp: 0,
				n: 0,
				runs: { fresh1: [], fresh32: [], replay32: [] },
			};
		}
		const issueFresh = (s, client) => {
			const next = tokenFactory(`${s.tag}x${s.n++}x`);
			return async () => {
				const res = await callOp(
					client,
					s.sign,
					"CheckoutBorrowLicense",
					checkoutBody(s.arns[s.rr++ % s.arns.length], next()),
				);
				return parseCheckout(res) ? true : `${res.status} ${res.body.slice(0, 200)}`;
			};
		};
		const issueReplay = (s, side) => async () => {
			const r = s.replays[s.rp++ % s.replays.length];
			const res = await callOp(s.c32, s.sign, "CheckoutBorrowLicense", r.body);
			const same =
				side === "variant" && variantReplaysDiffer
					? parseCheckout(res) !== null
					: res.status === 200 && res.body === r.response;
			return same ? true : `${res.status} ${res.body.slice(0, 200)}`;
		};
		const opts = { warmupMs: 1000, durationMs: SECONDS * 1000 };
		for (let rep = 0; rep < REPEAT; rep++) {
			// Alternate which side goes first, so neither always follows the other's leftovers.
			const order = rep % 2 ? ["variant", "base"] : ["base", "variant"];
			for (const [kind, conns] of [
				["fresh1", 1],
				["fresh32", 32],
				["replay32", 32],
			]) {
				for (const side of order) {
					const s = sides[side];
					await waitIdle(pids);
					const issue =
						kind === "replay32" ? issueReplay(s, side) : issueFresh(s, conns === 1 ? s.c1 : s.c32);
					s.runs[kind].push(
						await runPhase({ name: `${side} ${kind}`, connections: conns, issue, ...opts }),
					);
				}
			}
		}
		const summary = (s) =>
			Object.fromEntries(
				Object.entries(s.runs).map(([k, rs]) => [
					k,
					{
						rps: round(median(rs.map((r) => r.rps)), 1),
						p50Ms: round(median(rs.map((r) => r.p50Ms)), 3),
						cpuMs: round(median(rs.map((r) => r.cpu.workerdMsPerReq)), 3),
						errors: rs.reduce((a, r) => a + r.errors, 0),
						firstError: rs.find((r) => r.firstError)?.firstError ?? null,
					},
				]),
			);
		const out = { name, base: summary(sides.base), variant: summary(sides.variant) };
		out.errors = Object.values(out.base)
			.concat(Object.values(out.variant))
			.reduce((a, r) => a + r.errors, 0);
		for (const s of Object.values(sides)) {
			s.c1.close();
			s.c32.close();
		}
		const d = (k) => (out.variant[k].cpuMs - out.base[k].cpuMs).toFixed(3);
		console.log(
			`${name}: fresh32 ${out.base.fresh32.rps}→${out.variant.fresh32.rps}/s (Δ ${d("fresh32")} ms/req), ` +
				`fresh1 p50 ${out.base.fresh1.p50Ms}→${out.variant.fresh1.p50Ms} ms (Δ ${d("fresh1")}), ` +
				`replay32 ${out.base.replay32.rps}→${out.variant.replay32.rps}/s (Δ ${d("replay32")}), errors ${out.errors}`,
		);
		return out;
	} finally {
		await mf.dispose();
		storage.cleanup();
	}
}
