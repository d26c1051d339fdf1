/**
 * AWS Signature Version 4 verification (Authorization-header form only).
 *
 * Pure apart from WebCrypto and a per-isolate signing-key cache: the caller
 * supplies the request parts, the body's SHA-256, the credential lookup and the
 * time, and gets a tagged result back — nothing here throws for a bad request.
 * (A lookup that rejects is an infrastructure failure and propagates.)
 *
 * Order of checks, cheapest and least privileged first:
 *   1. Authorization present            → MissingAuthenticationTokenException
 *   2. header syntax, scope, X-Amz-Date, required SignedHeaders → IncompleteSignatureException
 *   3. X-Amz-Security-Token             → UnrecognizedClientException
 *   4. region, clock skew, x-amz-content-sha256 → InvalidSignatureException
 *   5. credential lookup                → UnrecognizedClientException
 *   6. HMAC comparison                  → InvalidSignatureException
 * Everything decidable from the request alone comes before the lookup, so a
 * malformed, stale or replayed request never costs a database read, and an
 * unknown key is reported before any signature is computed.
 *
 * Error messages echo only what the client sent (clipped); they never contain
 * the secret, the expected signature or the canonical request / string to
 * sign (AWS puts the canonical request in some messages; we do not).
 */

import { hex, sha256Hex } from "../encoding";
import {
	ALGORITHM,
	canonicalRequest,
	credentialScope,
	type HeaderIndex,
	type HeaderPairs,
	headerPairsOf,
	indexHeaders,
	SCOPE_TERMINATOR,
	stringToSign,
} from "./sigv4-canonical";

export interface SignedRequestParts {
	method: string;
	/** Raw path as received, e.g. "/" (`new URL(request.url).pathname`). */
	path: string;
	/** Raw query string without "?" (`new URL(request.url).search.slice(1)`). */
	query: string;
	/** `request.headers`, or raw pairs (see HeaderPairs for the difference). */
	headers: Headers | HeaderPairs;
	/** Lower-case hex SHA-256 of the exact body bytes received. */
	bodySha256Hex: string;
}

export type CredentialLookup = (accessKeyId: string) => Promise<{ secretAccessKey: string } | null>;

type SigV4ErrorType =
	| "MissingAuthenticationTokenException"
	| "IncompleteSignatureException"
	| "UnrecognizedClientException"
	| "InvalidSignatureException";

type SigV4Failure = { ok: false; error: { type: SigV4ErrorType; message: string } };
export type SigV4Result = { ok: true; accessKeyId: string; region: string } | SigV4Failure;

interface VerifyOptions {
	/** Signing name the scope must carry. Default "license-manager". */
	service?: string;
	/** Allowed distance between X-Amz-Date and now, either way. Default 15 min. */
	maxSkewMs?: number;
	/** Which scope regions this deployment accepts. Default: any well-formed region. */
	isRegionAllowed?: (region: string) => boolean;
	/**
	 * Headers the signature must cover, beyond what SigV4 itself demands (`host`):
	 * `always` must be listed in SignedHeaders; `whenPresent` must be listed if the
	 * request carries them. Default none, so plain SigV4 (AWS's test vectors) passes.
	 * A header the signature leaves out can be changed by whoever replays the request.
	 */
	requiredSignedHeaders?: { always?: readonly string[]; whenPresent?: readonly string[] };
}

const DEFAULT_SERVICE = "license-manager";
const DEFAULT_MAX_SKEW_MS = 15 * 60 * 1000;
export const EMPTY_SHA256 = "e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855";

const MSG_MISSING_TOKEN = "Request is missing Authentication Token";
/** AWS's wording for an unknown access key id as well as for a bad session token. */
const MSG_INVALID_TOKEN = "The security token included in the request is invalid.";
const MSG_SIGNATURE_MISMATCH =
	"The request signature we calculated does not match the signature you provided. " +
	"Check your AWS Secret Access Key and signing method. Consult the service documentation for details.";

function fail(type: SigV4ErrorType, message: string): SigV4Failure {
	return { ok: false, error: { type, message } };
}

const incomplete = (message: string) => fail("IncompleteSignatureException", message);
const invalid = (message: string) => fail("InvalidSignatureException", message);

/** Client input quoted in a message: control characters dropped, length capped. */
function clip(value: string, max = 64): string {
	// biome-ignore lint/suspicious/noControlCharactersInRegex: stripping them is the point
	const clean = value.replace(/[\u0000-\u001f\u007f]/g, "");
	return clean.length > max ? `${clean.slice(0, max)}...` : clean;
}

// --- Authorization header ------------------------------------------------------

interface ParsedAuthorization {
	accessKeyId: string;
	date: string;
	region: string;
	service: string;
	signedHeaders: string[];
	/** 64 lower-case hex characters. */
	signature: string;
}

const HEADER_NAME = /^[!#$%&'*+\-.^_`|~0-9a-z]+$/;
const SIGNATURE_HEX = /^[0-9a-f]{64}$/;
const SCOPE_DATE = /^\d{8}$/;
const REGION = /^[a-z0-9][a-z0-9-]{0,62}$/;

/** Parses `AWS4-HMAC-SHA256 Credential=…, SignedHeaders=…, Signature=…`. */
export function parseAuthorization(header: string): ParsedAuthorization | SigV4Failure {
	const match = /^(\S+)(?:\s+(.*))?$/s.exec(header.trim());
	const algorithm = match?.[1] ?? "";
	if (algorithm !== ALGORITHM) {
		return incomplete(
			`Unsupported AWS 'algorithm': '${clip(algorithm)}'. Expected '${ALGORITHM}'.`,
		);
	}
	const params = new Map<string, string>();
	for (const raw of (match?.[2] ?? "").split(",")) {
		const part = raw.trim();
		if (part === "") continue;
		const eq = part.indexOf("=");
		if (eq <= 0) {
			return incomplete(
				`'${clip(part)}' not a valid key=value pair (missing equal-sign) in Authorization header.`,
			);
		}
		const key = part.slice(0, eq).trim();
		if (params.has(key))
			return incomplete(`Authorization header has more than one '${clip(key)}' parameter.`);
		params.set(key, part.slice(eq + 1).trim());
	}
	const credential = params.get("Credential");
	const signedHeaders = params.get("SignedHeaders");
	const signature = params.get("Signature");
	if (credential === undefined || signedHeaders === undefined || signature === undefined) {
		const missing = (["Credential", "SignedHeaders", "Signature"] as const).filter(
			(k) => !params.has(k),
		);
		return incomplete(
			missing.map((k) => `Authorization header requires '${k}' parameter.`).join(" "),
		);
	}

	const scope = credential.split("/");
	const [accessKeyId, date, region, service, terminator] = scope;
	if (
		scope.length !== 5 ||
		accessKeyId === undefined ||
		date === undefined ||
		region === undefined ||
		service === undefined ||
		terminator === undefined ||
		scope.some((element) => element === "")
	) {
		return incomplete(
			`Credential must have exactly 5 slash-delimited elements, e.g. keyid/date/region/service/term, got '${clip(credential, 128)}'.`,
		);
	}
	if (terminator !== SCOPE_TERMINATOR) {
		return incomplete(
			`Credential should be scoped with a valid terminator: '${SCOPE_TERMINATOR}', not '${clip(terminator)}'.`,
		);
	}
	if (!SCOPE_DATE.test(date)) {
		return incomplete(
			`Invalid credential date '${clip(date)}'. Date is not the required format: yyyyMMdd.`,
		);
	}

	const names = signedHeaders.split(";");
	for (let i = 0; i < names.length; i++) {
		const name = names[i] as string;
		if (!HEADER_NAME.test(name) || (i > 0 && name <= (names[i - 1] as string))) {
			return incomplete(
				`Invalid SignedHeaders '${clip(signedHeaders, 256)}': expected lower-case header names separated by ';', in ascending order without repeats.`,
			);
		}
	}
	if (!names.includes("host")) {
		return incomplete("'Host' or ':authority' must be a 'SignedHeader' in the AWS Authorization.");
	}
	if (!SIGNATURE_HEX.test(signature)) {
		return incomplete("Signature must be 64 lower-case hexadecimal characters.");
	}
	return { accessKeyId, date, region, service, signedHeaders: names, signature };
}

/** `x-amz-target` → `X-Amz-Target`: how AWS names headers in its messages. */
function displayName(header: string): string {
	return header.replace(/(^|-)([a-z])/g, (_m, dash: string, c: string) => dash + c.toUpperCase());
}

/** The required headers `signed` leaves out, as one AWS-style message per header; null if none. */
function unsignedRequiredHeaders(
	signed: readonly string[],
	present: HeaderIndex,
	required: NonNullable<VerifyOptions["requiredSignedHeaders"]>,
): string | null {
	const missing = [
		...(required.always ?? []),
		...(required.whenPresent ?? []).filter((name) => present.has(name)),
	]
		.filter((name) => !signed.includes(name))
		.sort();
	if (missing.length === 0) return null;
	return missing
		.map((name) => `'${displayName(name)}' must be a 'SignedHeader' in the AWS Authorization.`)
		.join(" ");
}

// --- dates -----------------------------------------------------------------------

const AMZ_DATE = /^(\d{4})(\d{2})(\d{2})T(\d{2})(\d{2})(\d{2})Z$/;

/** Epoch ms of an ISO-8601 basic timestamp (`20150830T123600Z`), or null if not one. */
function parseAmzDate(value: string): number | null {
	const m = AMZ_DATE.exec(value);
	if (!m) return null;
	const [y, mo, d, h, mi, s] = m.slice(1).map(Number) as [
		number,
		number,
		number,
		number,
		number,
		number,
	];
	const ms = Date.UTC(y, mo - 1, d, h, mi, s);
	// Date.UTC rolls over (month 13, 25 o'clock); a round-trip rejects those.
	return formatAmzDate(ms) === value ? ms : null;
}

function formatAmzDate(ms: number): string {
	return new Date(ms).toISOString().replace(/[-:]|\.\d{3}/g, "");
}

function skewError(
	amzDate: string,
	signedAt: number,
	nowMs: number,
	maxSkewMs: number,
): SigV4Failure | null {
	const minutes = `${maxSkewMs / 60_000} min.`;
	const now = formatAmzDate(nowMs);
	if (signedAt < nowMs - maxSkewMs) {
		const earliest = formatAmzDate(nowMs - maxSkewMs);
		return invalid(
			`Signature expired: ${amzDate} is now earlier than ${earliest} (${now} - ${minutes})`,
		);
	}
	if (signedAt > nowMs + maxSkewMs) {
		const latest = formatAmzDate(nowMs + maxSkewMs);
		return invalid(
			`Signature not yet current: ${amzDate} is still later than ${latest} (${now} + ${minutes})`,
		);
	}
	return null;
}

// --- hashing and keys --------------------------------------------------------------

const encoder = new TextEncoder();
/** TextEncoder always returns a fresh, ArrayBuffer-backed array; the typings just don't say so. */
const utf8 = (text: string) => encoder.encode(text) as Uint8Array<ArrayBuffer>;

function fromHex(hex: string): Uint8Array<ArrayBuffer> {
	const out = new Uint8Array(hex.length >> 1);
	for (let i = 0; i < out.length; i++) out[i] = Number.parseInt(hex.slice(i * 2, i * 2 + 2), 16);
	return out;
}

const HMAC_SHA256 = { name: "HMAC", hash: "SHA-256" } as const;

async function hmac(
	key: ArrayBuffer | Uint8Array<ArrayBuffer>,
	data: string,
): Promise<ArrayBuffer> {
	const cryptoKey = await crypto.subtle.importKey("raw", key, HMAC_SHA256, false, ["sign"]);
	return crypto.subtle.sign("HMAC", cryptoKey, utf8(data));
}

/**
 * kSigning = HMAC(HMAC(HMAC(HMAC("AWS4" + secret, date), region), service), "aws4_request"),
 * imported as a non-extractable CryptoKey: once cached, the key bytes cannot be
 * read back out of the isolate.
 */
async function deriveSigningKey(
	secret: string,
	date: string,
	region: string,
	service: string,
): Promise<CryptoKey> {
	let key = await hmac(utf8(`AWS4${secret}`), date);
	key = await hmac(key, region);
	key = await hmac(key, service);
	key = await hmac(key, SCOPE_TERMINATOR);
	return crypto.subtle.importKey("raw", key, HMAC_SHA256, false, ["sign", "verify"]);
}

/**
 * Derived keys, per isolate. A key is valid for one (secret, date, region,
 * service), so a busy client costs four HMACs and five key imports once a day
 * instead of on every request. Entries are per access key id and remember the
 * secret they were derived from (compared directly: both sides are the server's
 * own), so a rotated secret never hits a key derived from the old one; no Map key
 * holds a secret, and the hot path hashes nothing. Bounded; least recently used
 * access keys go first.
 */
const SIGNING_KEY_CACHE_MAX = 512;
const signingKeys = new Map<string, { secret: string; keys: Map<string, CryptoKey> }>();

async function signingKeyFor(
	accessKeyId: string,
	secret: string,
	date: string,
	region: string,
	service: string,
): Promise<CryptoKey> {
	let entry = signingKeys.get(accessKeyId);
	if (entry) signingKeys.delete(accessKeyId);
	if (!entry || entry.secret !== secret) entry = { secret, keys: new Map() };
	signingKeys.set(accessKeyId, entry);
	if (signingKeys.size > SIGNING_KEY_CACHE_MAX) {
		const oldest = signingKeys.keys().next().value;
		if (oldest !== undefined) signingKeys.delete(oldest);
	}
	const scope = `${date}/${region}/${service}`;
	let key = entry.keys.get(scope);
	if (!key) {
		key = await deriveSigningKey(secret, date, region, service);
		// A few scopes per key at most (date rollover, several regions): keep the newest.
		if (entry.keys.size >= 8) entry.keys.clear();
		entry.keys.set(scope, key);
	}
	return key;
}

/** Tests only: drops every cached signing key (a revoked principal is refused by its record, not here). */
export function clearSigningKeyCacheForTests(): void {
	signingKeys.clear();
}

/**
 * Hex HMAC-SHA256 signature of a string to sign — the signer's side, for tests
 * and tools. The verifier never materialises the expected signature.
 */
export async function computeSignature(
	secretAccessKey: string,
	date: string,
	region: string,
	service: string,
	toSign: string,
): Promise<string> {
	const key = await deriveSigningKey(secretAccessKey, date, region, service);
	return hex(await crypto.subtle.sign("HMAC", key, utf8(toSign)));
}

// --- verification ----------------------------------------------------------------------

function single(index: HeaderIndex, name: string): string | undefined | null {
	const values = index.get(name);
	if (values === undefined) return undefined;
	return values.length === 1 ? (values[0] as string) : null;
}

export async function verifySigV4(
	req: SignedRequestParts,
	lookup: CredentialLookup,
	nowMs: number,
	opts: VerifyOptions = {},
): Promise<SigV4Result> {
	const service = opts.service ?? DEFAULT_SERVICE;
	const maxSkewMs = opts.maxSkewMs ?? DEFAULT_MAX_SKEW_MS;
	const headers = indexHeaders(headerPairsOf(req.headers));

	// 1. Present?
	const authorization = single(headers, "authorization");
	if (authorization === undefined || authorization?.trim() === "") {
		return fail("MissingAuthenticationTokenException", MSG_MISSING_TOKEN);
	}
	if (authorization === null) return incomplete("Request has more than one Authorization header.");

	// 2. Well-formed?
	const auth = parseAuthorization(authorization);
	if ("ok" in auth) return auth;
	if (auth.service !== service) {
		return incomplete(`Credential should be scoped to correct service: '${service}'.`);
	}
	const amzDate = single(headers, "x-amz-date");
	if (amzDate === undefined) {
		return incomplete("Authorization header requires existence of a 'X-Amz-Date' header.");
	}
	const signedAt = amzDate === null ? null : parseAmzDate(amzDate.trim());
	if (amzDate === null || signedAt === null) {
		return incomplete(
			`Invalid X-Amz-Date header: '${clip(amzDate ?? "(repeated)")}'. Expected ISO-8601 basic format, e.g. 20150830T123600Z.`,
		);
	}
	const requestDate = amzDate.trim();
	if (auth.date !== requestDate.slice(0, 8)) {
		return incomplete(
			`Date in Credential scope does not match YYYYMMDD from ISO-8601 version of date from HTTP: '${auth.date}' != '${requestDate.slice(0, 8)}', from '${requestDate}'.`,
		);
	}
	for (const name of auth.signedHeaders) {
		if (!headers.has(name)) {
			return incomplete(
				`Header '${name}' is listed in SignedHeaders but is not present in the request.`,
			);
		}
	}
	if (opts.requiredSignedHeaders) {
		const unsigned = unsignedRequiredHeaders(
			auth.signedHeaders,
			headers,
			opts.requiredSignedHeaders,
		);
		if (unsigned) return incomplete(unsigned);
	}

	// 3. Temporary credentials (STS session tokens) are not supported: there is no
	// STS here to have issued one, so any token is one we cannot validate. AWS
	// answers an unusable token with this exact error.
	if (headers.has("x-amz-security-token"))
		return fail("UnrecognizedClientException", MSG_INVALID_TOKEN);

	// 4. Acceptable?
	const isRegionAllowed = opts.isRegionAllowed ?? (() => true);
	if (!REGION.test(auth.region) || !isRegionAllowed(auth.region)) {
		return invalid(`Credential should be scoped to a valid region, not '${clip(auth.region)}'.`);
	}
	const skew = skewError(requestDate, signedAt, nowMs, maxSkewMs);
	if (skew) return skew;
	const contentSha = single(headers, "x-amz-content-sha256");
	if (contentSha !== undefined) {
		const claimed = contentSha?.trim() ?? "";
		// UNSIGNED-PAYLOAD and the STREAMING-* modes leave the body outside the
		// signature; every operation here must have its body covered.
		if (claimed === "UNSIGNED-PAYLOAD" || claimed.startsWith("STREAMING-")) {
			return invalid(
				`x-amz-content-sha256 '${clip(claimed)}' is not supported: the request body must be signed.`,
			);
		}
		if (claimed !== req.bodySha256Hex) {
			return invalid(
				"The provided 'x-amz-content-sha256' header does not match what was computed.",
			);
		}
	}

	// 5. Known key?
	const credentials = await lookup(auth.accessKeyId);
	if (!credentials) return fail("UnrecognizedClientException", MSG_INVALID_TOKEN);

	// 6. Signature. The payload hash is always the body's real hash, whatever a
	// client claims; crypto.subtle.verify recomputes the HMAC and compares in
	// constant time (BoringSSL CRYPTO_memcmp in workerd), so the expected
	// signature never exists as a string here.
	const canonical = canonicalRequest({
		method: req.method,
		path: req.path,
		query: req.query,
		headers,
		signedHeaders: auth.signedHeaders,
		payloadHash: req.bodySha256Hex,
	});
	const scope = credentialScope(auth.date, auth.region, auth.service);
	const toSign = stringToSign(requestDate, scope, await sha256Hex(canonical));
	const key = await signingKeyFor(
		auth.accessKeyId,
		credentials.secretAccessKey,
		auth.date,
		auth.region,
		service,
	);
	const matches = await crypto.subtle.verify("HMAC", key, fromHex(auth.signature), utf8(toSign));
	if (!matches) return invalid(MSG_SIGNATURE_MISMATCH);
	return { ok: true, accessKeyId: auth.accessKeyId, region: auth.region };
}

/**
 * The parts of a workerd `Request` that SigV4 covers. `body` is the body
 * already read (read it once, e.g. `await c.req.arrayBuffer()`, and parse the
 * JSON from the same bytes so the signed and the interpreted body are the same).
 */
export async function signedPartsOf(
	request: Request,
	body: ArrayBuffer | Uint8Array | string,
): Promise<SignedRequestParts> {
	const url = new URL(request.url);
	return {
		method: request.method,
		path: url.pathname,
		query: url.search.slice(1),
		headers: request.headers,
		bodySha256Hex: await sha256Hex(body),
	};
}
