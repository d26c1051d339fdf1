/**
 * SigV4 canonicalisation: pure string functions, no crypto, no I/O.
 *
 * Everything here follows the AWS SigV4 test suite (aws-sig-v4-test-suite) for
 * non-S3 services, i.e. the path is normalised and URI-encoded once more on top
 * of whatever encoding it already carries on the wire ("double encoding").
 * test/fixtures/sigv4/vectors.ts pins the behaviour to the published vectors.
 */

/**
 * Raw header pairs, in the order received. Names may have any case.
 *
 * Why pairs and not only `Headers`: a `Headers` object (workerd included) merges
 * repeated headers into one value joined with ", ", whereas SigV4 joins the
 * trimmed values with "," — so `My-Header1: a` + `My-Header1: b` canonicalises
 * to `a,b` from pairs but `a, b` from `Headers`. No AWS SDK sends a header
 * twice, so verifying from `Headers` is fine in practice; pairs let the test
 * vectors exercise the real rule.
 */
export type HeaderPairs = ReadonlyArray<readonly [string, string]>;

/** Lower-cased header name → every raw value, in arrival order. */
export type HeaderIndex = ReadonlyMap<string, readonly string[]>;

export const ALGORITHM = "AWS4-HMAC-SHA256";
export const SCOPE_TERMINATOR = "aws4_request";

export function headerPairsOf(headers: Headers | HeaderPairs): HeaderPairs {
	return headers instanceof Headers ? [...headers] : headers;
}

export function indexHeaders(pairs: HeaderPairs): HeaderIndex {
	const index = new Map<string, string[]>();
	for (const [name, value] of pairs) {
		const key = name.toLowerCase();
		const values = index.get(key);
		if (values) values.push(value);
		else index.set(key, [value]);
	}
	return index;
}

/**
 * One header's canonical value: each value trimmed, inner runs of whitespace
 * collapsed to one space (the suite's get-header-value-trim), then the values
 * joined with "," in arrival order (get-header-key-duplicate,
 * get-header-value-order). CR/LF count as whitespace, as in the JS SDK, so an
 * obs-folded value collapses too.
 */
export function canonicalHeaderValue(values: readonly string[]): string {
	return values.map(trimAll).join(",");
}

function trimAll(value: string): string {
	return value.replace(/[ \t\r\n]+/g, " ").replace(/^ | $/g, "");
}

// --- URI encoding -----------------------------------------------------------

const UNRESERVED_ONLY = /^[A-Za-z0-9\-._~]*$/;
const HEX_UPPER = "0123456789ABCDEF";
const utf8 = new TextEncoder();

function isUnreservedByte(b: number): boolean {
	return (
		(b >= 0x41 && b <= 0x5a) || // A-Z
		(b >= 0x61 && b <= 0x7a) || // a-z
		(b >= 0x30 && b <= 0x39) || // 0-9
		b === 0x2d || // -
		b === 0x2e || // .
		b === 0x5f || // _
		b === 0x7e // ~
	);
}

function hexValue(b: number | undefined): number {
	if (b === undefined) return -1;
	if (b >= 0x30 && b <= 0x39) return b - 0x30;
	if (b >= 0x41 && b <= 0x46) return b - 0x37;
	if (b >= 0x61 && b <= 0x66) return b - 0x57;
	return -1;
}

/**
 * RFC 3986 encoding as SigV4 wants it: every byte of the UTF-8 form except the
 * unreserved set becomes %XX (upper-case hex).
 *
 * `decodeEscapes`: treat existing %XX in the input as the byte they stand for
 * (so the result is the same whether a client sent `%E1%88%B4` or raw UTF-8).
 * Query components want this; path segments do not (SigV4 encodes the wire
 * path again, turning % into %25). It works on bytes, so a malformed escape
 * (`%zz`, a lone `%`) is kept literally as %25 and invalid UTF-8 behind escapes
 * survives byte-exactly instead of throwing like decodeURIComponent would.
 */
function uriEncode(input: string, decodeEscapes: boolean): string {
	if (UNRESERVED_ONLY.test(input)) return input;
	const bytes = utf8.encode(input);
	let out = "";
	for (let i = 0; i < bytes.length; i++) {
		let b = bytes[i] as number;
		if (decodeEscapes && b === 0x25) {
			const hi = hexValue(bytes[i + 1]);
			const lo = hexValue(bytes[i + 2]);
			if (hi >= 0 && lo >= 0) {
				b = (hi << 4) | lo;
				i += 2;
			}
		}
		out += isUnreservedByte(b)
			? String.fromCharCode(b)
			: `%${HEX_UPPER[b >> 4]}${HEX_UPPER[b & 15]}`;
	}
	return out;
}

// --- path and query ---------------------------------------------------------

/**
 * Canonical URI for non-S3 services: drop empty and "." segments, resolve "..",
 * keep a trailing slash (get-slashes, get-relative*, get-slash-*), then encode
 * each segment of the path *as received* (get-space, get-utf8). The same rule
 * as the AWS SDK for JavaScript v3 and botocore.
 *
 * `rawPath` is the path as it was on the wire, e.g. `new URL(request.url).pathname`.
 */
export function canonicalPath(rawPath: string): string {
	if (rawPath === "/" || rawPath === "") return "/";
	const segments: string[] = [];
	for (const segment of rawPath.split("/")) {
		if (segment === "" || segment === ".") continue;
		if (segment === "..") segments.pop();
		else segments.push(uriEncode(segment, false));
	}
	const lead = rawPath.startsWith("/") ? "/" : "";
	const trail = segments.length > 0 && rawPath.endsWith("/") ? "/" : "";
	return `${lead}${segments.join("/")}${trail}`;
}

/**
 * Canonical query string: every `name=value` pair decoded from its wire
 * encoding and re-encoded canonically, a bare `name` read as `name=`, then
 * sorted by encoded name and, for a repeated name, by encoded value
 * (get-vanilla-query-order-*, get-vanilla-utf8-query).
 *
 * `+` is taken literally (→ %2B), not as a space: AWS SDKs encode spaces as %20
 * and sign exactly that, so a literal "+" on the wire was a "+" when signed.
 *
 * `rawQuery` is the query string as received, without the leading "?".
 */
export function canonicalQuery(rawQuery: string): string {
	if (rawQuery === "") return "";
	const pairs: Array<[string, string]> = [];
	for (const part of rawQuery.split("&")) {
		if (part === "") continue;
		const eq = part.indexOf("=");
		const name = eq < 0 ? part : part.slice(0, eq);
		const value = eq < 0 ? "" : part.slice(eq + 1);
		pairs.push([uriEncode(name, true), uriEncode(value, true)]);
	}
	// Encoded strings are pure ASCII, so code-unit order is the byte order AWS uses.
	pairs.sort((a, b) => compare(a[0], b[0]) || compare(a[1], b[1]));
	return pairs.map(([name, value]) => `${name}=${value}`).join("&");
}

function compare(a: string, b: string): number {
	return a < b ? -1 : a > b ? 1 : 0;
}

// --- canonical request and string to sign -----------------------------------

interface CanonicalRequestInput {
	method: string;
	/** Raw path as received. */
	path: string;
	/** Raw query string without "?". */
	query: string;
	/** The request's headers; only those named in `signedHeaders` are used. */
	headers: HeaderPairs | HeaderIndex;
	/** Lower-case, ascending, as listed in the Authorization header's SignedHeaders. */
	signedHeaders: readonly string[];
	/** Lower-case hex SHA-256 of the body. */
	payloadHash: string;
}

/**
 * The SigV4 canonical request. Throws if a signed header is absent: callers
 * that handle untrusted input (verifySigV4) check that first and report it.
 */
export function canonicalRequest(input: CanonicalRequestInput): string {
	const index =
		input.headers instanceof Map ? input.headers : indexHeaders(input.headers as HeaderPairs);
	let headerBlock = "";
	for (const name of input.signedHeaders) {
		const values = index.get(name);
		if (values === undefined) throw new Error(`signed header '${name}' is not in the request`);
		headerBlock += `${name}:${canonicalHeaderValue(values)}\n`;
	}
	return [
		input.method,
		canonicalPath(input.path),
		canonicalQuery(input.query),
		headerBlock,
		input.signedHeaders.join(";"),
		input.payloadHash,
	].join("\n");
}

export function credentialScope(date: string, region: string, service: string): string {
	return `${date}/${region}/${service}/${SCOPE_TERMINATOR}`;
}

/** `canonicalRequestSha256Hex`: lower-case hex SHA-256 of the canonical request. */
export function stringToSign(
	amzDate: string,
	scope: string,
	canonicalRequestSha256Hex: string,
): string {
	return `${ALGORITHM}\n${amzDate}\n${scope}\n${canonicalRequestSha256Hex}`;
}
