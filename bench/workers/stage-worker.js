// @ts-check
// Bench-only worker, loaded beside the product in the same workerd (never a
// route of the product). It measures, inside workerd, the stages a checkout is
// made of: raw PS384 signing with the configured key, the product's token
// signing and SigV4 verification functions, the rate-limit binding, a Durable
// Object RPC with and without a checkout-shaped SQLite transaction, a D1 batch,
// and the license object's share of a checkout (its decision and the store-back of
// the signed response, over RPC without HTTP in front).
// Each endpoint runs a batch; the caller times it from outside (Date.now() in
// workerd only advances across I/O).
import { DurableObject } from "cloudflare:workers";
import { verifySigV4 } from "../../src/auth/sigv4";
import { licenseStub, signedCheckoutResponse } from "../../src/license/contract";
import { parseLicenseArn } from "../../src/licenseIds";
import { signEncodedClaims, tokenSignerAt } from "../../src/signing/token";

const encoder = new TextEncoder();
let signingKey;

function privateJwk(env) {
	const keys = JSON.parse(env.SIGNING_PRIVATE_KEYS);
	return Object.values(keys)[0];
}

function rawKey(env) {
	if (!signingKey) {
		const { kty, n, e, d, p, q, dp, dq, qi } = privateJwk(env);
		signingKey = crypto.subtle.importKey(
			"jwk",
			{ kty, n, e, d, p, q, dp, dq, qi, alg: "PS384", ext: false },
			{ name: "RSA-PSS", hash: "SHA-384" },
			false,
			["sign"],
		);
	}
	return signingKey;
}

async function pool(n, concurrency, fn) {
	let next = 0;
	let ok = 0;
	/** @type {string | null} */
	let firstError = null;
	async function run() {
		while (next < n) {
			const i = next++;
			try {
				if ((await fn(i)) !== false) ok++;
			} catch (err) {
				firstError ??= String(/** @type {Error} */ (err)?.stack ?? err);
			}
		}
	}
	await Promise.all(Array.from({ length: Math.max(1, Math.min(n, concurrency)) }, run));
	return { n, ok, errors: n - ok, firstError };
}

async function sha256Hex(text) {
	const d = new Uint8Array(await crypto.subtle.digest("SHA-256", encoder.encode(text)));
	let s = "";
	for (const b of d) s += b.toString(16).padStart(2, "0");
	return s;
}

const handlers = {
	async empty() {
		return "ok";
	},

	/** Raw RSA-PSS/SHA-384 signatures of `payload` (a JWS signing input of typical size). */
	async sign(env, q) {
		const key = await rawKey(env);
		const data = encoder.encode(q.payload);
		const alg = { name: "RSA-PSS", saltLength: 48 };
		return pool(q.n, q.concurrency ?? 1, async () => {
			const sig = await crypto.subtle.sign(alg, key, data);
			return sig.byteLength === 384;
		});
	},

	/** The Worker's signing of a decided checkout (key lookup, base64url of the stored claims, sign), sequentially. */
	async token(env, q) {
		const now = Date.now();
		const claims = JSON.stringify(q.claims);
		return pool(q.n, 1, async () => {
			const jws = await signEncodedClaims(await tokenSignerAt(env, now), claims);
			return jws.length > 0;
		});
	},

	/** The product's verifySigV4 over one real signed request, as authenticate() calls it. */
	async sigv4(_env, q) {
		const headers = new Headers(q.headers);
		const body = encoder.encode(q.body);
		const lookup = async () => ({ secretAccessKey: q.secret });
		return pool(q.n, 1, async () => {
			const r = await verifySigV4(
				{ method: "POST", path: "/", query: "", headers, bodySha256Hex: await sha256Hex(q.body) },
				lookup,
				Date.now(),
			);
			if (!r.ok) throw new Error(JSON.stringify(r.error));
			return body.length > 0;
		});
	},

	/** One call of the per-key Rate Limiting binding (local simulation: a fetch to a Durable Object). */
	async limiter(env, q) {
		return pool(
			q.n,
			q.concurrency ?? 1,
			async () => (await env.PRINCIPAL_LIMITER_BULK.limit({ key: "bench" })).success,
		);
	},

	async rpcNoop(env, q) {
		const stub = env.STAGE.get(env.STAGE.idFromName(q.object ?? "noop"));
		return pool(q.n, q.concurrency ?? 1, async () => (await stub.noop()) === 1);
	},

	/** An RPC whose object does a checkout-shaped pre-check and transaction (no signing). */
	async rpcWrite(env, q) {
		const stub = env.STAGE.get(env.STAGE.idFromName(q.object ?? "write"));
		const response = "x".repeat(q.responseBytes ?? 1600);
		return pool(
			q.n,
			q.concurrency ?? 1,
			async (i) => (await stub.write(`${q.tag}${i}`, response)) === true,
		);
	},

	/** `n` rounds of the four queries of the product's LicenseAlarm.schedule() (in one RPC). */
	async queries(env, q) {
		const stub = env.STAGE.get(env.STAGE.idFromName(q.object ?? "write"));
		const n = await stub.queries(q.n);
		return { n, ok: n, errors: 0 };
	},

	/** `n` setAlarm() calls, each moving the alarm (in one RPC). */
	async setAlarms(env, q) {
		const stub = env.STAGE.get(env.STAGE.idFromName("alarms"));
		const n = await stub.setAlarms(q.n);
		return { n, ok: n, errors: 0 };
	},

	/** `n` alarm invocations in a row, each re-arming the alarm for now (an empty handler). */
	async alarmLoop(env, q) {
		const stub = env.STAGE.get(env.STAGE.idFromName("alarm-loop"));
		await stub.startAlarms(q.n);
		const deadline = Date.now() + 60_000;
		while ((await stub.alarmsLeft()) > 0) {
			if (Date.now() > deadline) throw new Error("alarms did not finish in 60 s");
			await scheduler.wait(5);
		}
		return { n: q.n, ok: q.n, errors: 0 };
	},

	/**
	 * The license object's share of a checkout, over RPC as checkoutBorrowLicense
	 * makes it, minus HTTP, SigV4, validation and the signature: the decision
	 * (LicenseObject.checkout) and the store-back of a response
	 * (storeCheckoutResponse). With `sign`, the Worker's signature in between too.
	 */
	async doCheckout(env, q) {
		const stubs = q.arns.map((/** @type {string} */ arn) => [
			arn,
			licenseStub(env, /** @type {{ licenseId: string }} */ (parseLicenseArn(arn)).licenseId),
		]);
		const signer = q.sign ? await tokenSignerAt(env, Date.now()) : null;
		return pool(q.n, q.concurrency ?? 1, async (i) => {
			const [arn, stub] = stubs[i % stubs.length];
			const clientToken = `${q.tag}${i}`;
			const caller = {
				accountId: q.account,
				accessKeyId: q.accessKeyId,
				requestId: crypto.randomUUID(),
			};
			const decided = await stub.checkout({
				caller,
				licenseArn: arn,
				clientToken,
				requestHash: await sha256Hex(`${arn}\n${clientToken}`),
				entitlements: [{ Name: "Seats", Unit: "Count", Value: "1" }],
				nodeId: "bench-node-0001",
				checkoutMetadata: [{ Name: "host", Value: "bench-host-01" }],
			});
			if (!decided.ok) throw new Error(JSON.stringify(decided.error));
			const { unsigned } = decided.value;
			if (!unsigned) throw new Error("a fresh ClientToken was answered as a replay");
			const token = signer
				? await signEncodedClaims(signer, unsigned.claims)
				: `${"x".repeat(500)}.${"y".repeat(800)}.${"z".repeat(512)}`;
			const stored = await stub.storeCheckoutResponse(
				caller,
				clientToken,
				signedCheckoutResponse(unsigned, token),
			);
			if (!stored.ok) throw new Error(JSON.stringify(stored.error));
			return true;
		});
	},

	/** D1 batches of `batch` inserts (the outbox drain's shape), `n` rows in all. */
	async d1(env, q) {
		await env.DB.prepare(
			"CREATE TABLE IF NOT EXISTS bench_rows (id TEXT PRIMARY KEY, a TEXT, b TEXT, c TEXT)",
		).run();
		const batch = q.batch ?? 200;
		const batches = Math.ceil(q.n / batch);
		return pool(batches, 1, async (b) => {
			const stmt = env.DB.prepare(
				"INSERT INTO bench_rows (id, a, b, c) VALUES (?1, ?2, ?3, ?4) ON CONFLICT DO NOTHING",
			);
			const rows = [];
			for (let i = 0; i < batch; i++)
				rows.push(stmt.bind(`${q.tag}${b}-${i}`, "a".repeat(100), "b".repeat(200), "c".repeat(50)));
			await env.DB.batch(rows);
			return true;
		});
	},
};

export class StageObject extends DurableObject {
	constructor(ctx, env) {
		super(ctx, env);
		const sql = ctx.storage.sql;
		sql.exec(`CREATE TABLE IF NOT EXISTS borrows (token TEXT PRIMARY KEY, account_id TEXT, client_token TEXT,
			status TEXT, issued_at INTEGER, expires_at INTEGER, returned_at INTEGER, leases TEXT)`);
		sql.exec("CREATE INDEX IF NOT EXISTS borrows_live ON borrows (status, expires_at)");
		sql.exec(
			"CREATE INDEX IF NOT EXISTS borrows_ended ON borrows (returned_at) WHERE status <> 'ACTIVE'",
		);
		sql.exec(`CREATE TABLE IF NOT EXISTS client_tokens (account_id TEXT, client_token TEXT, request_hash TEXT,
			response TEXT, consumption_token TEXT, purge_at INTEGER, PRIMARY KEY (account_id, client_token))`);
		sql.exec("CREATE INDEX IF NOT EXISTS client_tokens_purge ON client_tokens (purge_at)");
		sql.exec("CREATE TABLE IF NOT EXISTS usage (name TEXT PRIMARY KEY, consumed INTEGER NOT NULL)");
		sql.exec(`CREATE TABLE IF NOT EXISTS outbox (id INTEGER PRIMARY KEY AUTOINCREMENT, record TEXT NOT NULL,
			attempts INTEGER NOT NULL DEFAULT 0, next_attempt_at INTEGER NOT NULL)`);
		sql.exec("CREATE INDEX IF NOT EXISTS outbox_due ON outbox (next_attempt_at)");
	}

	noop() {
		return 1;
	}

	queries(n) {
		const sql = this.ctx.storage.sql;
		for (let i = 0; i < n; i++) {
			sql.exec("SELECT MIN(expires_at) AS t FROM borrows WHERE status = 'ACTIVE'").toArray();
			sql.exec("SELECT next_attempt_at AS t FROM outbox ORDER BY id LIMIT 1").toArray();
			sql.exec("SELECT MIN(purge_at) AS t FROM client_tokens").toArray();
			sql.exec("SELECT MIN(returned_at) AS t FROM borrows WHERE status <> 'ACTIVE'").toArray();
		}
		return n;
	}

	async setAlarms(n) {
		const base = Date.now() + 3_600_000;
		for (let i = 0; i < n; i++) void this.ctx.storage.setAlarm(base + i);
		await this.ctx.storage.deleteAlarm();
		return n;
	}

	async startAlarms(n) {
		this.left = n;
		await this.ctx.storage.setAlarm(Date.now());
	}

	alarmsLeft() {
		return this.left ?? 0;
	}

	/** @override */
	async alarm() {
		this.left = (this.left ?? 1) - 1;
		if (this.left > 0) await this.ctx.storage.setAlarm(Date.now());
	}

	write(clientToken, response) {
		const sql = this.ctx.storage.sql;
		const now = Date.now();
		const seen = sql
			.exec(
				"SELECT request_hash, response FROM client_tokens WHERE account_id = ? AND client_token = ?",
				"111122223333",
				clientToken,
			)
			.toArray();
		if (seen.length) return false;
		const usage = sql.exec("SELECT name, consumed FROM usage").toArray();
		const token = crypto.randomUUID().replaceAll("-", "") + crypto.randomUUID().replaceAll("-", "");
		this.ctx.storage.transactionSync(() => {
			sql
				.exec(
					"SELECT 1 FROM client_tokens WHERE account_id = ? AND client_token = ?",
					"111122223333",
					clientToken,
				)
				.toArray();
			sql.exec(
				"INSERT INTO borrows VALUES (?, ?, ?, 'ACTIVE', ?, ?, NULL, ?)",
				token,
				"111122223333",
				clientToken,
				now,
				now + 3_600_000,
				JSON.stringify([{ name: "Seats", unit: "Count", value: "1", quantity: 1 }]),
			);
			sql.exec(
				"INSERT INTO usage (name, consumed) VALUES ('Seats', 1) ON CONFLICT (name) DO UPDATE SET consumed = consumed + 1",
			);
			sql.exec(
				"INSERT INTO client_tokens VALUES (?, ?, ?, ?, ?, ?)",
				"111122223333",
				clientToken,
				"h".repeat(64),
				response,
				token,
				now + 90_000_000,
			);
			sql.exec("INSERT INTO outbox (record, next_attempt_at) VALUES (?, ?)", "r".repeat(400), now);
			sql.exec("INSERT INTO outbox (record, next_attempt_at) VALUES (?, ?)", "a".repeat(300), now);
		});
		// The product's scheduleAlarm reads three MINs after every checkout.
		sql.exec("SELECT MIN(expires_at) AS t FROM borrows WHERE status = 'ACTIVE'").toArray();
		sql.exec("SELECT MIN(next_attempt_at) AS t FROM outbox").toArray();
		sql.exec("SELECT MIN(purge_at) AS t FROM client_tokens").toArray();
		return usage.length >= 0;
	}
}

export default {
	async fetch(request, env) {
		const name = new URL(request.url).pathname.slice(1);
		const handler = Object.hasOwn(handlers, name) ? handlers[name] : undefined;
		if (!handler) return new Response("no such stage", { status: 404 });
		const q = request.method === "POST" ? await request.json() : {};
		try {
			const out = await handler(env, q);
			return Response.json(out);
		} catch (err) {
			return Response.json(
				{ error: String(/** @type {Error} */ (err)?.stack ?? err) },
				{ status: 500 },
			);
		}
	},
};
