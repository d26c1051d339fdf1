// @ts-check
// One workerd under Miniflare (no wrangler dev proxy): its storage, secrets, D1 and
// the bench principal, and a run that always disposes of it.
import { generateKeyPairSync, randomBytes, webcrypto } from "node:crypto";
import { existsSync, mkdtempSync, readdirSync, readFileSync, rmSync } from "node:fs";
import { join } from "node:path";
import { convertV4MiniflareOptions, Miniflare } from "miniflare";
import { BENCH_ACCOUNT, BENCH_KEY_ID, KID, ROOT } from "./common.mjs";
import { makeSigner } from "./sigv4.mjs";

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

/**
 * How the product's per-key Rate Limiting bindings are provided: "miniflare" (its
 * local simulation: a fetch into a Durable Object per call), "in-process" (the
 * bench's binding with the same semantics, counted in the product's isolate as
 * production's is: bench/workers/product-entry.js), or "off" (unbound).
 * @typedef {"miniflare" | "in-process" | "off"} LimiterMode
 */

/**
 * @typedef {object} MiniflareSetup
 * @property {LimiterMode | boolean} [limiter] the product's limiter (true = "miniflare", false = "off")
 * @property {number} [inspectorPort]
 * @property {string} [persistPath]
 * @property {boolean} [inspectObjects]
 * @property {boolean} [d1Writes] false: the product's license objects drain their outbox
 *   into a D1 stand-in that stores nothing (bench/workers/discardingD1.js); default true
 * @property {{ name: string, path: string, limiter: LimiterMode | boolean }[]} [variants]
 *   more builds of the product beside it, each with its own objects and D1
 */

/** What workerd logged: the product's request lines are counted, not printed. */
export const workerdLog = { requestLines: 0 };

/** @param {LimiterMode | boolean} mode */
function limiterMode(mode) {
	return mode === true ? "miniflare" : mode === false ? "off" : mode;
}

/**
 * Two workers in one workerd: the product, exactly as built, and the bench-only
 * stage worker (raw signing and stage timings), which also binds the product's
 * LicenseObject class so it can call the object without HTTP in front.
 * Both are served on direct sockets, so requests skip Miniflare's entry worker.
 * @param {{ product: string, stage: string }} paths
 * @param {ReturnType<typeof makeSecrets>} secrets
 * @param {MiniflareSetup} [setup]
 */
export async function startMiniflare(
	paths,
	secrets,
	{
		limiter = true,
		inspectorPort,
		persistPath,
		inspectObjects = false,
		d1Writes = true,
		variants = [],
	} = {},
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
	/** @param {LimiterMode | boolean} mode */
	const limiterBindings = (mode) => {
		const m = limiterMode(mode);
		if (m === "miniflare") return { bindings: vars, ratelimits };
		if (m === "off") return { bindings: vars };
		return {
			bindings: {
				...vars,
				BENCH_IN_PROCESS_LIMITER: "1",
				BENCH_LIMIT: String(ratelimits.PRINCIPAL_LIMITER.simple.limit),
				BENCH_LIMIT_PERIOD: String(ratelimits.PRINCIPAL_LIMITER.simple.period),
			},
		};
	};
	/**
	 * @param {{ bindings: Record<string, string> }} setup
	 * @param {boolean} writes
	 */
	const withD1Writes = (setup, writes) =>
		writes ? setup : { ...setup, bindings: { ...setup.bindings, BENCH_D1_WRITES: "off" } };
	const common = {
		modules: true,
		compatibilityDate: "2026-11-01",
		compatibilityFlags: ["nodejs_compat"],
		unsafeDirectSockets: [{ host: "127.0.0.1", port: 0 }],
	};
	const mf = new Miniflare(
		convertV4MiniflareOptions(
			/** @type {import("miniflare").V4MiniflareOptions} */ ({
				// The product writes one JSON line per request (SPEC §12): they are made (their
				// cost is measured) and counted, not printed; anything else is shown.
				handleStructuredLogs: (/** @type {{ level: string, message: string }} */ log) => {
					if (log.message.startsWith('{"type":"request"')) workerdLog.requestLines++;
					else if (log.level === "error" || log.level === "warn") console.error(log.message);
					else console.log(log.message);
				},
				...(inspectorPort !== undefined ? { inspectorPort } : {}),
				...(persistPath !== undefined ? { resourcePersistencePath: persistPath } : {}),
				// Soak only: lets Node run SQL in the license objects (Miniflare wraps the class to allow it).
				...(inspectObjects ? { unsafeInspectDurableObjects: true } : {}),
				workers: [
					{
						...common,
						name: "product",
						scriptPath: paths.product,
						durableObjects: { LICENSES: { className: "LicenseObject", useSQLite: true } },
						d1Databases: { DB: "bench-d1" },
						...withD1Writes(limiterBindings(limiter), d1Writes),
					},
					// Other builds or setups of the product side by side, each with its own objects and D1.
					...variants.map((v) => ({
						...common,
						name: v.name,
						scriptPath: v.path,
						durableObjects: { LICENSES: { className: "LicenseObject", useSQLite: true } },
						d1Databases: { DB: `bench-d1-${v.name}` },
						...limiterBindings(v.limiter),
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
		),
	);
	await mf.ready;
	const productUrl = await mf.unsafeGetDirectURL("product");
	const stageUrl = await mf.unsafeGetDirectURL("stage");
	/** @type {Record<string, URL>} */
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
	globalThis.crypto ??= /** @type {Crypto} */ (/** @type {unknown} */ (webcrypto));
	const { importBoxKey, sealSecret } = await import(join(ROOT, "src/auth/secretBox.ts"));
	// The one principal INSERT, shared with the CLI, npm start and the tests.
	const { principalInsert } = await import(join(ROOT, "scripts/lib/principalRecord.ts"));
	const key = await importBoxKey(secrets.PRINCIPAL_SECRET_KEY);
	const { sql, params } = principalInsert({
		accessKeyId: BENCH_KEY_ID,
		accountId: BENCH_ACCOUNT,
		sealedSecret: await sealSecret(key, BENCH_KEY_ID, secrets.principalSecret),
		operations: ["*"],
		rateTier: "bulk",
	});
	await db
		.prepare(sql)
		.bind(...params)
		.run();
	return makeSigner({ accessKeyId: BENCH_KEY_ID, secretAccessKey: secrets.principalSecret });
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
