import type { JSONWebKeySet } from "jose";
import { assertJwks } from "./keys.js";

/**
 * Fetches the deployment's JWKS (normally `<endpoint>/.well-known/jwks.json`) for
 * the app to store as its offline snapshot. Deliberately plain: no caching, no
 * retries — when and where to keep the snapshot is the app's decision. Returns a
 * new object each call, which is what makes verifyBorrowToken re-import keys.
 */
export async function fetchJwks(url: string | URL, init?: RequestInit): Promise<JSONWebKeySet> {
	const headers = new Headers(init?.headers);
	if (!headers.has("accept")) headers.set("accept", "application/json");
	const res = await fetch(url, { ...init, headers });
	if (!res.ok) throw new Error(`GET ${String(url)} failed: HTTP ${res.status}`);
	const body: unknown = await res.json();
	assertJwks(body);
	return body;
}
