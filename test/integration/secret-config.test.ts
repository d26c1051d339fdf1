/**
 * SPEC §2/§12: a malformed secret is reported by its name and a fixed reason, never
 * by its content. JSON.parse's SyntaxError quotes the text around the fault, and
 * every request that needs a key logs the failure — so a broken SIGNING_PRIVATE_KEYS
 * used to put private-key fragments into the logs of every checkout.
 *
 * The Worker's own env has good keys (vitest.config.ts); the broken ones are given
 * to the Hono app through `app.fetch(request, env)`, which is what a deploy with
 * that secret is (the Worker signs; the license's object never reads the keys).
 */
import { env } from "cloudflare:workers";
import { afterEach, beforeAll, describe, expect, it, vi } from "vitest";
import { clearPrincipalCacheForTests } from "../../src/auth/principals";
import { importBoxKey, SecretKeyConfigError } from "../../src/auth/secretBox";
import type { Env } from "../../src/env";
import app from "../../src/index";
import { SigningConfigError, scheduledKeys } from "../../src/signing/keys";
import { expectAwsError } from "../helpers/expectations";
import { checkoutBody, createLicense } from "../helpers/fixtures";
import { objectRows } from "../helpers/storage";
import { type Reply, readReply, signedRequest, usageText } from "../helpers/wire";

const INTERNAL = "The server experienced an internal error. Try again.";
/** Looks like private-key material; must never appear in a log line. */
const FRAGMENT = "NA82vsqA4iFAKEPRIVATEd";
const GOOD_SCHEDULE = JSON.stringify([{ kid: "k-good", activeFrom: "2020-01-01T00:00:00Z" }]);

let goodJwk: JsonWebKey;
let weakJwk: JsonWebKey;

async function rsaPrivateJwk(modulusLength: number): Promise<JsonWebKey> {
	const pair = (await crypto.subtle.generateKey(
		{ name: "RSA-PSS", modulusLength, publicExponent: new Uint8Array([1, 0, 1]), hash: "SHA-384" },
		true,
		["sign", "verify"],
	)) as CryptoKeyPair;
	return (await crypto.subtle.exportKey("jwk", pair.privateKey)) as JsonWebKey;
}

const CONSOLE = ["log", "error", "warn", "info", "debug"] as const;

/** Everything written to the console while `body` runs, one string. */
async function captureConsole(body: () => Promise<void>): Promise<string> {
	const spies = CONSOLE.map((m) => vi.spyOn(console, m).mockImplementation(() => undefined));
	try {
		await body();
		return spies
			.flatMap((spy) => spy.mock.calls)
			.map((args) =>
				args
					.map((a) => (a instanceof Error ? `${a.name} ${a.message} ${a.stack}` : String(a)))
					.join(" "),
			)
			.join("\n");
	} finally {
		for (const spy of spies) spy.mockRestore();
	}
}

/** What scheduledKeys throws for this env: the SigningConfigError's message. */
function loadFailure(settings: Partial<Env>): string {
	try {
		scheduledKeys(settings as Env);
	} catch (error) {
		expect(error).toBeInstanceOf(SigningConfigError);
		return (error as Error).message;
	}
	throw new Error("expected the key configuration to be refused");
}

beforeAll(async () => {
	[goodJwk, weakJwk] = await Promise.all([rsaPrivateJwk(2048), rsaPrivateJwk(1024)]);
});

describe("SIGNING_PRIVATE_KEYS / SIGNING_KEYS parse errors name the setting, never its content", () => {
	it("each fault has a fixed message naming the setting (and the kid)", () => {
		const good = JSON.stringify({ "k-good": goodJwk });
		const cases: [Partial<Env>, string][] = [
			[{ SIGNING_KEYS: GOOD_SCHEDULE }, "SIGNING_PRIVATE_KEYS is not set"],
			[
				{ SIGNING_PRIVATE_KEYS: `{"k-good":{"kty":"RSA","d":${FRAGMENT}}}` },
				"SIGNING_PRIVATE_KEYS is not valid JSON",
			],
			[
				{ SIGNING_PRIVATE_KEYS: `["${FRAGMENT}"]` },
				"SIGNING_PRIVATE_KEYS is not a JSON object of {kid: private JWK}",
			],
			[
				{ SIGNING_PRIVATE_KEYS: JSON.stringify({ "k-good": FRAGMENT }) },
				"SIGNING_PRIVATE_KEYS kid k-good is not a private RSA JWK",
			],
			[
				{ SIGNING_PRIVATE_KEYS: JSON.stringify({ "k-good": { ...goodJwk, d: undefined } }) },
				"SIGNING_PRIVATE_KEYS kid k-good is not a private RSA JWK",
			],
			[
				{ SIGNING_PRIVATE_KEYS: JSON.stringify({ "k-good": { ...goodJwk, n: `${FRAGMENT}!` } }) },
				"SIGNING_PRIVATE_KEYS kid k-good is not a private RSA JWK",
			],
			[
				{ SIGNING_PRIVATE_KEYS: JSON.stringify({ [`${FRAGMENT}/+=`]: "not a JWK" }) },
				"SIGNING_PRIVATE_KEYS kid (a kid that is not 1-64 of A-Z a-z 0-9 . _ : -) is not a private RSA JWK",
			],
			[
				{ SIGNING_KEYS: `[{"kid":"k-good","activeFrom":${FRAGMENT}}]`, SIGNING_PRIVATE_KEYS: good },
				"SIGNING_KEYS is not valid JSON",
			],
			[
				{ SIGNING_KEYS: '{"kid":"k-good"}', SIGNING_PRIVATE_KEYS: good },
				"SIGNING_KEYS is not a JSON array of {kid, activeFrom, retiredAt?}",
			],
			[
				{
					SIGNING_KEYS: JSON.stringify([{ kid: "k-other", activeFrom: "2020-01-01T00:00:00Z" }]),
					SIGNING_PRIVATE_KEYS: good,
				},
				"SIGNING_PRIVATE_KEYS has no key for kid k-other",
			],
			[
				{
					SIGNING_KEYS: JSON.stringify([{ kid: "k-good", activeFrom: FRAGMENT }]),
					SIGNING_PRIVATE_KEYS: good,
				},
				"SIGNING_KEYS: activeFrom of k-good is not an ISO-8601 date",
			],
			[
				{
					SIGNING_KEYS: JSON.stringify([
						{
							kid: "k-good",
							activeFrom: "2020-01-01T00:00:00Z",
							retiredAt: "2020-01-01T00:00:00Z",
						},
					]),
					SIGNING_PRIVATE_KEYS: good,
				},
				"SIGNING_KEYS: retiredAt of k-good is not after its activeFrom",
			],
		];
		for (const [settings, message] of cases) {
			const got = loadFailure(settings);
			expect(got).toBe(message);
			expect(got).not.toContain(FRAGMENT);
		}
		// The same configuration with the faults removed loads.
		expect(
			scheduledKeys({ SIGNING_KEYS: GOOD_SCHEDULE, SIGNING_PRIVATE_KEYS: good } as Env),
		).toHaveLength(1);
	});

	it("refuses an RSA key under 2048 bits at load, naming its kid, even when it is not the signing key", () => {
		const schedule = JSON.stringify([
			{ kid: "k-good", activeFrom: "2020-01-01T00:00:00Z" },
			{ kid: "k-weak", activeFrom: "2099-01-01T00:00:00Z" },
		]);
		expect(
			loadFailure({
				SIGNING_KEYS: schedule,
				SIGNING_PRIVATE_KEYS: JSON.stringify({ "k-good": goodJwk, "k-weak": weakJwk }),
			}),
		).toBe(
			"SIGNING_PRIVATE_KEYS kid k-weak is a 1024-bit RSA key; at least 2048 bits are required",
		);
		// Without a schedule, the single key is checked the same way.
		expect(loadFailure({ SIGNING_PRIVATE_KEYS: JSON.stringify({ "dev-1": weakJwk }) })).toBe(
			"SIGNING_PRIVATE_KEYS kid dev-1 is a 1024-bit RSA key; at least 2048 bits are required",
		);
	});
});

describe("a broken signing secret in a running deployment", () => {
	afterEach(() => vi.restoreAllMocks());

	/**
	 * A checkout through a Worker deployed with these signing settings: the Worker
	 * signs (the license's object only decides), so the settings go to the app.
	 */
	async function checkoutWith(arn: string, settings: Partial<Env>): Promise<Reply> {
		const request = await signedRequest("CheckoutBorrowLicense", JSON.stringify(checkoutBody(arn)));
		return readReply(await app.fetch(request, { ...env, ...settings } as Env));
	}

	it("malformed SIGNING_PRIVATE_KEYS: checkout answers the generic ServerInternalException, logs the name only", async () => {
		const arn = await createLicense();
		const before = await usageText(arn);
		let reply: Reply | undefined;
		const logged = await captureConsole(async () => {
			reply = await checkoutWith(arn, {
				SIGNING_KEYS: GOOD_SCHEDULE,
				SIGNING_PRIVATE_KEYS: `{"k-good":{"kty":"RSA","n":"x","d":${FRAGMENT}xyz}}`,
			});
		});
		expectAwsError(reply as Reply, "ServerInternalException", INTERNAL);
		expect(reply?.text).not.toContain("SIGNING_PRIVATE_KEYS");
		expect(logged).toContain("SIGNING_PRIVATE_KEYS is not valid JSON");
		expect(logged).not.toContain(FRAGMENT);
		expect(logged).not.toContain("xyz");
		// The key is made ready before the object decides: nothing was reserved.
		expect(await usageText(arn)).toBe(before);
		expect(await objectRows(arn, "SELECT COUNT(*) AS n FROM borrows")).toEqual([{ n: 0 }]);
	});

	it("a 1024-bit key: checkout refused the same way, the log names the kid", async () => {
		const arn = await createLicense();
		let reply: Reply | undefined;
		const logged = await captureConsole(async () => {
			reply = await checkoutWith(arn, {
				SIGNING_KEYS: JSON.stringify([{ kid: "k-weak", activeFrom: "2020-01-01T00:00:00Z" }]),
				SIGNING_PRIVATE_KEYS: JSON.stringify({ "k-weak": weakJwk }),
			});
		});
		expectAwsError(reply as Reply, "ServerInternalException", INTERNAL);
		expect(logged).toContain("kid k-weak is a 1024-bit RSA key");
		expect(logged).not.toContain(weakJwk.d as string);
		expect(await objectRows(arn, "SELECT COUNT(*) AS n FROM borrows")).toEqual([{ n: 0 }]);
	});

	it("the key routes with a malformed secret: a generic 500, the log names the secret only", async () => {
		const broken = {
			...env,
			SIGNING_KEYS: GOOD_SCHEDULE,
			SIGNING_PRIVATE_KEYS: `{"k-good":{"kty":"RSA","d":"${FRAGMENT}`,
		} as Env;
		for (const path of ["/.well-known/jwks.json", "/keys/k-good.pem"]) {
			let reply: Reply | undefined;
			const logged = await captureConsole(async () => {
				reply = await readReply(await app.fetch(new Request(`http://x${path}`), broken));
			});
			expectAwsError(reply as Reply, "ServerInternalException", INTERNAL);
			expect(logged).toContain("SIGNING_PRIVATE_KEYS is not valid JSON");
			expect(logged).not.toContain(FRAGMENT);
		}
	});
});

describe("PRINCIPAL_SECRET_KEY parse errors name the secret, never its content", () => {
	afterEach(() => {
		vi.restoreAllMocks();
		clearPrincipalCacheForTests();
	});

	const NOT_BASE64 = "PRINCIPAL_SECRET_KEY is not valid base64";
	const NOT_32_BYTES = "PRINCIPAL_SECRET_KEY must be 32 bytes, base64-encoded";
	const BAD_KEYS = [
		[`${FRAGMENT}*not*base64`, NOT_BASE64], // not base64 at all
		[btoa(FRAGMENT.slice(0, 16)), NOT_32_BYTES], // base64 of 16 bytes
		[`${btoa("x".repeat(32))}${FRAGMENT}`, NOT_BASE64], // text after the padding
	] as const;

	it("importBoxKey rejects with a fixed message", async () => {
		for (const [bad, reason] of BAD_KEYS) {
			const error = await importBoxKey(bad).then(
				() => null,
				(e: unknown) => e,
			);
			expect(error).toBeInstanceOf(SecretKeyConfigError);
			expect((error as Error).message).toBe(reason);
		}
		await expect(importBoxKey(env.PRINCIPAL_SECRET_KEY as string)).resolves.toBeTruthy();
	});

	it("a request needing the key answers the generic ServerInternalException; the log names the secret only", async () => {
		for (const [bad, reason] of BAD_KEYS) {
			clearPrincipalCacheForTests(); // so the principal is read, and its secret opened, again
			const broken = { ...env, PRINCIPAL_SECRET_KEY: bad } as Env;
			let reply: Reply | undefined;
			const logged = await captureConsole(async () => {
				const request = await signedRequest("ListLicenses", "{}");
				reply = await readReply(await app.fetch(request, broken));
			});
			expectAwsError(reply as Reply, "ServerInternalException", INTERNAL);
			expect(logged).toContain(reason);
			expect(logged).not.toContain(FRAGMENT);
			expect(logged).not.toContain(bad);
		}
	});
});
