/**
 * GET /health (SPEC §12): unauthenticated, cached a few seconds, 200 with every check
 * "ok" or 503 naming each failing one — never any secret or key material. A broken
 * deployment is an env with that setting broken, given to the Worker's fetch handler
 * (`app.fetch(request, env)`), exactly what a deploy with that secret runs.
 */
import { env } from "cloudflare:workers";
import { afterEach, describe, expect, it } from "vitest";
import { advanceClockForTests } from "../../src/clock";
import type { Env } from "../../src/env";
import { HEALTH_CACHE_MS, LATEST_MIGRATION } from "../../src/health";
import app from "../../src/index";

/** Looks like private-key material; must never appear in the body. */
const FRAGMENT = "NA82vsqA4iFAKEPRIVATEd";

async function health(
	over: Partial<Env> = {},
): Promise<{ status: number; body: unknown; text: string; type: string | null }> {
	// A new env object per call: the cache is per env, so each case is computed afresh.
	const res = await app.fetch(new Request("https://elm.example/health"), {
		...env,
		...over,
	} as Env);
	const text = await res.text();
	return {
		status: res.status,
		body: JSON.parse(text),
		text,
		type: res.headers.get("content-type"),
	};
}

const OK_SIGNING = { status: "ok", kid: "test-key-1" };
const OK_PRINCIPAL = { status: "ok" };
const OK_D1 = { status: "ok", migration: LATEST_MIGRATION };

async function unapplyLatestMigration(): Promise<void> {
	await env.DB.prepare("DELETE FROM d1_migrations WHERE name = ?").bind(LATEST_MIGRATION).run();
}
async function reapplyLatestMigration(): Promise<void> {
	await env.DB.prepare(
		"INSERT INTO d1_migrations (name) SELECT ?1 WHERE NOT EXISTS (SELECT 1 FROM d1_migrations WHERE name = ?1)",
	)
		.bind(LATEST_MIGRATION)
		.run();
}
afterEach(reapplyLatestMigration);

describe("GET /health", () => {
	it("names the newest file of migrations/ as the latest migration", () => {
		const names = env.TEST_MIGRATIONS.map((m) => m.name).sort();
		expect(LATEST_MIGRATION).toBe(names.at(-1));
	});

	it("a healthy deployment: 200 and every check ok, without authentication or secrets", async () => {
		const res = await health();
		expect(res.status).toBe(200);
		expect(res.type).toMatch(/^application\/json/);
		expect(res.body).toEqual({
			status: "ok",
			checks: { signingKeys: OK_SIGNING, principalKey: OK_PRINCIPAL, d1: OK_D1 },
		});
		const privateJwk = JSON.parse(env.SIGNING_PRIVATE_KEYS ?? "{}")["test-key-1"] as {
			d: string;
			n: string;
		};
		for (const secret of [
			env.PRINCIPAL_SECRET_KEY ?? "",
			privateJwk.d.slice(0, 16),
			privateJwk.n.slice(0, 16),
		])
			expect(res.text).not.toContain(secret);
	});

	it("missing principal key: 503 naming principalKey", async () => {
		const res = await health({ PRINCIPAL_SECRET_KEY: undefined });
		expect(res.status).toBe(503);
		expect(res.body).toEqual({
			status: "fail",
			checks: {
				signingKeys: OK_SIGNING,
				principalKey: { status: "fail", reason: "PRINCIPAL_SECRET_KEY is not set" },
				d1: OK_D1,
			},
		});
	});

	it("a principal key that is not base64 of 32 bytes: 503, named, its value not echoed", async () => {
		const res = await health({ PRINCIPAL_SECRET_KEY: `${FRAGMENT}==` });
		expect(res.status).toBe(503);
		expect(res.body).toEqual({
			status: "fail",
			checks: {
				signingKeys: OK_SIGNING,
				principalKey: {
					status: "fail",
					reason: "PRINCIPAL_SECRET_KEY must be 32 bytes, base64-encoded",
				},
				d1: OK_D1,
			},
		});
		expect(res.text).not.toContain(FRAGMENT);
	});

	it("a malformed signing key: 503 naming signingKeys, no key material in the body", async () => {
		const notJson = await health({ SIGNING_PRIVATE_KEYS: `{"test-key-1": {"d": "${FRAGMENT}"` });
		expect(notJson.status).toBe(503);
		expect(notJson.body).toEqual({
			status: "fail",
			checks: {
				signingKeys: { status: "fail", reason: "SIGNING_PRIVATE_KEYS is not valid JSON" },
				principalKey: OK_PRINCIPAL,
				d1: OK_D1,
			},
		});
		const notRsa = await health({
			SIGNING_PRIVATE_KEYS: JSON.stringify({
				"test-key-1": { kty: "RSA", n: FRAGMENT, e: "AQAB" },
			}),
		});
		expect(notRsa.status).toBe(503);
		expect(notRsa.body).toEqual({
			status: "fail",
			checks: {
				signingKeys: {
					status: "fail",
					reason: "SIGNING_PRIVATE_KEYS kid test-key-1 is not a private RSA JWK",
				},
				principalKey: OK_PRINCIPAL,
				d1: OK_D1,
			},
		});
		const unset = await health({ SIGNING_PRIVATE_KEYS: undefined });
		expect(unset.body).toMatchObject({
			status: "fail",
			checks: { signingKeys: { status: "fail", reason: "SIGNING_PRIVATE_KEYS is not set" } },
		});
		for (const res of [notJson, notRsa, unset]) expect(res.text).not.toContain(FRAGMENT);
	});

	it("D1 without the latest migration: 503 naming d1 and the migration", async () => {
		await unapplyLatestMigration();
		const res = await health();
		expect(res.status).toBe(503);
		expect(res.body).toEqual({
			status: "fail",
			checks: {
				signingKeys: OK_SIGNING,
				principalKey: OK_PRINCIPAL,
				d1: {
					status: "fail",
					reason: `the latest migration is ${LATEST_MIGRATION} and it is not applied: run wrangler d1 migrations apply DB --remote`,
				},
			},
		});
	});

	it("D1 that does not answer: 503 naming d1, without D1's error text", async () => {
		const broken = {
			prepare() {
				throw new Error(`D1_ERROR: internal ${FRAGMENT}`);
			},
		} as unknown as D1Database;
		const res = await health({ DB: broken });
		expect(res.status).toBe(503);
		expect(res.body).toEqual({
			status: "fail",
			checks: {
				signingKeys: OK_SIGNING,
				principalKey: OK_PRINCIPAL,
				d1: { status: "fail", reason: "D1 did not answer a query" },
			},
		});
		expect(res.text).not.toContain(FRAGMENT);
	});

	it("every failing check is named at once", async () => {
		await unapplyLatestMigration();
		const res = await health({ PRINCIPAL_SECRET_KEY: undefined, SIGNING_PRIVATE_KEYS: undefined });
		expect(res.status).toBe(503);
		const body = res.body as { checks: Record<string, { status: string }> };
		expect(Object.entries(body.checks).map(([name, c]) => [name, c.status])).toEqual([
			["signingKeys", "fail"],
			["principalKey", "fail"],
			["d1", "fail"],
		]);
	});

	it("is cached for a few seconds per isolate, then checked again", async () => {
		const deployment = { ...env } as Env;
		const get = async () => {
			const res = await app.fetch(new Request("https://elm.example/health"), deployment);
			return { status: res.status, body: (await res.json()) as { status: string } };
		};
		expect(await get()).toMatchObject({ status: 200, body: { status: "ok" } });
		await unapplyLatestMigration();
		// Within the cache period: the earlier answer, no D1 query.
		advanceClockForTests(HEALTH_CACHE_MS / 2);
		expect(await get()).toMatchObject({ status: 200, body: { status: "ok" } });
		advanceClockForTests(HEALTH_CACHE_MS / 2);
		expect(await get()).toMatchObject({ status: 503, body: { status: "fail" } });
	});

	it("other methods and paths are not the health check", async () => {
		const res = await app.fetch(new Request("https://elm.example/health", { method: "POST" }), env);
		expect(await res.text()).not.toContain('"checks"');
	});
});
