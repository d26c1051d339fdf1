import { Hono } from "hono";
import { authenticate } from "../auth/authenticate";
import { clock } from "../clock";
import { type Config, loadConfig } from "../config";
import type { Env } from "../env";
import { licenseStub } from "../license/contract";
import { isLicenseId } from "../licenseIds";
import { resolveTarget } from "../operations/registry";
import { jwksAt, publicPem, publishedKeysAt, scheduledKeys } from "../signing/keys";
import { AwsError, renderError } from "./errors";
import { loggableLicenseArn, type RequestFacts, requestLog } from "./requestLog";
import { responseHeaders } from "./responseHeaders";
import { refuseMalformedStrings } from "./wellFormed";

const MAX_BODY_BYTES = 256 * 1024;
const JSON_11 = "application/x-amz-json-1.1";

type AppEnv = {
	Bindings: Env;
	Variables: { requestId: string; config: Config; requestFacts: RequestFacts };
};

/** Reads at most `limit` bytes; a larger body is refused before any of it is parsed. */
async function readBody(request: Request, limit: number): Promise<Uint8Array> {
	const length = request.headers.get("content-length");
	const declared = Number(length ?? "0");
	if (declared > limit) throw tooLarge(limit);
	if (!request.body) return new Uint8Array(0);
	// A declared length is enforced by the runtime: read the body natively in one piece.
	if (length !== null) return new Uint8Array(await request.arrayBuffer());
	const reader = request.body.getReader();
	const chunks: Uint8Array[] = [];
	let size = 0;
	for (;;) {
		const { done, value } = await reader.read();
		if (done) break;
		size += value.byteLength;
		if (size > limit) {
			await reader.cancel();
			throw tooLarge(limit);
		}
		chunks.push(value);
	}
	if (chunks.length === 1) return chunks[0] as Uint8Array;
	const out = new Uint8Array(size);
	let offset = 0;
	for (const chunk of chunks) {
		out.set(chunk, offset);
		offset += chunk.byteLength;
	}
	return out;
}

function tooLarge(limit: number): AwsError {
	return new AwsError("ValidationException", `Request body is larger than ${limit} bytes.`);
}

const decoder = new TextDecoder("utf-8", { fatal: true, ignoreBOM: false });

function parseJsonObject(body: Uint8Array): Record<string, unknown> {
	if (body.byteLength === 0) return {};
	let parsed: unknown;
	try {
		parsed = JSON.parse(decoder.decode(body));
	} catch {
		throw new AwsError("SerializationException", "The request body is not valid JSON.");
	}
	if (typeof parsed !== "object" || parsed === null || Array.isArray(parsed)) {
		throw new AwsError("SerializationException", "The request body must be a JSON object.");
	}
	// The one place every request string passes, before any operation can store one.
	refuseMalformedStrings(parsed as Record<string, unknown>);
	return parsed as Record<string, unknown>;
}

export function buildApp(): Hono<AppEnv> {
	const app = new Hono<AppEnv>();

	// First, so it stamps every response (./responseHeaders.ts).
	app.use(responseHeaders());
	// Second: one log line per API request, written once the response exists.
	app.use(requestLog());

	// The deployment's vars, parsed once per isolate (src/config.ts) and handed to every route.
	app.use(async (c, next) => {
		c.set("config", loadConfig(c.env));
		await next();
	});

	app.get("/.well-known/jwks.json", (c) => {
		return c.json(jwksAt(c.env, c.var.config.maxTtlMinutes * 60_000), 200, {
			"Cache-Control": "public, max-age=300",
		});
	});

	app.get("/keys/:file", async (c) => {
		const file = c.req.param("file");
		const kid = file.endsWith(".pem") ? file.slice(0, -4) : null;
		const maxTtlMs = c.var.config.maxTtlMinutes * 60_000;
		const key = publishedKeysAt(scheduledKeys(c.env), clock.now(), maxTtlMs).find(
			(k) => k.kid === kid,
		);
		if (!key) return c.text("No published key with that id.\n", 404);
		return c.body(await publicPem(key), 200, {
			"Content-Type": "application/x-pem-file; charset=us-ascii",
			"Cache-Control": "public, max-age=300",
		});
	});

	// SPEC §9: public and cacheable; the object keeps the signed list, so a fetch costs
	// no signature unless the list changed or aged. Anything that is not a license here
	// answers the same bare 404, so the route tells nothing about which ids exist.
	app.get("/revocations/:id", async (c) => {
		const id = c.req.param("id");
		const stub = isLicenseId(id) ? licenseStub(c.env, id) : null;
		const jws = stub ? await stub.revocationList() : null;
		if (jws === null) return c.body(null, 404, { "Cache-Control": "public, max-age=60" });
		return c.body(jws, 200, {
			"Content-Type": "application/jwt",
			"Cache-Control": "public, max-age=60",
		});
	});

	// AWS JSON 1.1: every operation is POST / with X-Amz-Target, the AWS ones and the
	// extension ones (SPEC §8) alike: same signature, principal check and error shapes.
	app.post("/", async (c) => {
		const requestId = c.get("requestId");
		const facts = c.get("requestFacts");
		const body = await readBody(c.req.raw, MAX_BODY_BYTES);
		const target = c.req.header("x-amz-target") ?? "";
		const operation = resolveTarget(target);
		if (!operation) {
			throw new AwsError(
				"UnknownOperationException",
				`Unknown operation ${JSON.stringify(target.slice(0, 128))}.`,
			);
		}
		facts.operation = operation.name;
		const principal = await authenticate(c.env, c.req.raw, body, operation.name);
		facts.account = principal.accountId;
		facts.accessKeyId = principal.accessKeyId;
		const input = parseJsonObject(body);
		facts.licenseArn = loggableLicenseArn(input.LicenseArn);
		const result = await operation.handler({
			env: c.env,
			config: c.var.config,
			caller: { accountId: principal.accountId, accessKeyId: principal.accessKeyId, requestId },
			input,
			log: facts,
		});
		const text = typeof result === "string" ? result : JSON.stringify(result);
		return new Response(text, { status: 200, headers: { "Content-Type": JSON_11 } });
	});

	app.notFound((c) => {
		throw new AwsError(
			"UnknownOperationException",
			`No operation at ${c.req.method} ${new URL(c.req.url).pathname}.`,
		);
	});

	app.onError((err, c) => renderError(err, c.get("requestId") ?? crypto.randomUUID()));
	return app;
}
