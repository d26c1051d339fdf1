import type { JSONWebKeySet } from "jose";
import { BorrowTokenConfigError } from "./errors.js";
import { assertJwks } from "./keys.js";
import { show } from "./show.js";

export interface FetchJwksOptions {
	/**
	 * Allow plain `http://` to this machine only — `localhost`, `127.0.0.0/8` or
	 * `[::1]` — for a local development server (`npm start`). Default false: the
	 * JWKS decides which tokens are genuine, so it is fetched over HTTPS only.
	 */
	allowInsecureLocalhost?: boolean;
}

/** Host names as the URL parser normalises them (`127.1` is already `127.0.0.1`). */
function isLoopback(hostname: string): boolean {
	return (
		hostname === "localhost" ||
		hostname === "[::1]" ||
		/^127\.\d{1,3}\.\d{1,3}\.\d{1,3}$/.test(hostname)
	);
}

/**
 * The URL to fetch, or a BorrowTokenConfigError saying why it is refused. `what`
 * names the document ("JWKS", "revocation list") in the messages.
 */
export function secureUrl(url: string | URL, options: FetchJwksOptions, what = "JWKS"): URL {
	let parsed: URL;
	try {
		parsed = new URL(String(url));
	} catch {
		throw new BorrowTokenConfigError(`${what} URL ${show(String(url))} is not an absolute URL`);
	}
	if (parsed.protocol === "https:") return parsed;
	if (parsed.protocol !== "http:") {
		throw new BorrowTokenConfigError(
			`${what} URL must be https://, not ${show(parsed.protocol.slice(0, -1))}`,
		);
	}
	if (!options.allowInsecureLocalhost) {
		const risk = what === "JWKS" ? "replace the keys" : `swap the ${what}`;
		throw new BorrowTokenConfigError(
			`refusing to fetch the ${what} over plain http:// (${show(parsed.host)}): anyone on the path could ${risk}. Use https://, or for a local development server pass allowInsecureLocalhost: true (localhost, 127.0.0.0/8 and [::1] only)`,
		);
	}
	if (!isLoopback(parsed.hostname)) {
		throw new BorrowTokenConfigError(
			`allowInsecureLocalhost allows http:// to localhost, 127.0.0.0/8 and [::1] only, not ${show(parsed.hostname)}`,
		);
	}
	return parsed;
}

/**
 * Fetches the deployment's JWKS (normally `<endpoint>/.well-known/jwks.json`) for
 * the app to store as its offline snapshot. Deliberately plain: no caching, no
 * retries — when and where to keep the snapshot is the app's decision. Returns a
 * new object each call, which is what makes verifyBorrowToken re-import keys.
 *
 * HTTPS only (see `allowInsecureLocalhost`), and a redirect is refused, never
 * followed, whatever `init.redirect` says: a redirect could lead anywhere, plain
 * http:// included. Configure the final URL instead.
 */
export async function fetchJwks(
	url: string | URL,
	init?: RequestInit,
	options: FetchJwksOptions = {},
): Promise<JSONWebKeySet> {
	const res = await getNoRedirect(secureUrl(url, options), "application/json", init);
	const body: unknown = await res.json();
	assertJwks(body);
	return body;
}

/** GET that refuses (never follows) a redirect and fails on anything but 2xx. */
export async function getNoRedirect(
	target: URL,
	accept: string,
	init?: RequestInit,
): Promise<Response> {
	const headers = new Headers(init?.headers);
	if (!headers.has("accept")) headers.set("accept", accept);
	const res = await fetch(target, { ...init, headers, redirect: "manual" });
	// Node answers a manual redirect with the 3xx itself; browsers with an opaque one.
	if ((res.type as string) === "opaqueredirect" || (res.status >= 300 && res.status < 400)) {
		const location = res.headers.get("location");
		await res.body?.cancel();
		throw new Error(
			`GET ${target.href} answered with a redirect (HTTP ${res.status}${location ? ` to ${show(location)}` : ""}); redirects are not followed: configure the final https:// URL`,
		);
	}
	if (!res.ok) {
		await res.body?.cancel();
		throw new Error(`GET ${target.href} failed: HTTP ${res.status}`);
	}
	return res;
}
