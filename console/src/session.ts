import type { Credentials } from "./api/client";

// sessionStorage only: the key lives as long as the tab, is never written to
// localStorage or a cookie, and so is never sent anywhere but as a signature.
const KEY = "edge-license-manager.console.credentials";

export function loadCredentials(storage: Storage = sessionStorage): Credentials | null {
	const raw = storage.getItem(KEY);
	if (!raw) return null;
	try {
		const c = JSON.parse(raw) as Partial<Credentials>;
		if (
			typeof c.accessKeyId === "string" &&
			typeof c.secretAccessKey === "string" &&
			typeof c.region === "string"
		) {
			return { accessKeyId: c.accessKeyId, secretAccessKey: c.secretAccessKey, region: c.region };
		}
	} catch {
		// a damaged entry is as good as none
	}
	storage.removeItem(KEY);
	return null;
}

export function saveCredentials(credentials: Credentials, storage: Storage = sessionStorage): void {
	storage.setItem(KEY, JSON.stringify(credentials));
}

/** "Sign out": the key is forgotten. */
export function forgetCredentials(storage: Storage = sessionStorage): void {
	storage.removeItem(KEY);
}
