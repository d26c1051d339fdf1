/**
 * AES-256-GCM for principal secrets at rest. Runs on WebCrypto alone so the Worker
 * and the `principal` command (Node) share it. Format: base64(iv ‖ ciphertext+tag);
 * the access key id is the associated data, so a ciphertext moved to another key
 * id does not decrypt.
 */
const encoder = new TextEncoder();

/** WebCrypto's key type, spelled so that both the Workers and the Node typings accept it. */
type BoxKey = Awaited<ReturnType<typeof crypto.subtle.importKey>>;

function toBase64(bytes: Uint8Array): string {
	let s = "";
	for (const b of bytes) s += String.fromCharCode(b);
	return btoa(s);
}

function fromBase64(text: string): Uint8Array<ArrayBuffer> {
	return Uint8Array.from(atob(text), (c) => c.charCodeAt(0));
}

/**
 * PRINCIPAL_SECRET_KEY is unusable. The message is a fixed reason: it names the
 * secret and never quotes it (it reaches the logs of every request that needs the key).
 */
export class SecretKeyConfigError extends Error {
	override name = "SecretKeyConfigError";

	constructor(reason: string) {
		super(`PRINCIPAL_SECRET_KEY ${reason}`);
	}
}

/**
 * The one parse of PRINCIPAL_SECRET_KEY: base64 of 32 random bytes. They key the
 * AES-GCM box below and, through HKDF, the keyed ids and NextTokens (src/derivedKeys.ts).
 */
export function principalSecretBytes(base64Key: string | undefined): Uint8Array<ArrayBuffer> {
	if (!base64Key) throw new SecretKeyConfigError("is not set");
	let raw: Uint8Array<ArrayBuffer>;
	try {
		raw = fromBase64(base64Key.trim());
	} catch {
		// atob's own error is dropped: nothing derived from the secret's text may reach a log.
		throw new SecretKeyConfigError("is not valid base64");
	}
	if (raw.byteLength !== 32) throw new SecretKeyConfigError("must be 32 bytes, base64-encoded");
	return raw;
}

/** Rejects (never throws) with a SecretKeyConfigError when the text is not base64 of 32 bytes. */
export async function importBoxKey(base64Key: string): Promise<BoxKey> {
	const raw = principalSecretBytes(base64Key);
	return crypto.subtle.importKey("raw", raw, "AES-GCM", false, ["encrypt", "decrypt"]);
}

export async function sealSecret(
	key: BoxKey,
	accessKeyId: string,
	secret: string,
): Promise<string> {
	const iv = crypto.getRandomValues(new Uint8Array(12));
	const sealed = new Uint8Array(
		await crypto.subtle.encrypt(
			{ name: "AES-GCM", iv, additionalData: encoder.encode(accessKeyId) },
			key,
			encoder.encode(secret),
		),
	);
	const out = new Uint8Array(iv.byteLength + sealed.byteLength);
	out.set(iv);
	out.set(sealed, iv.byteLength);
	return toBase64(out);
}

export async function openSecret(
	key: BoxKey,
	accessKeyId: string,
	ciphertext: string,
): Promise<string> {
	const bytes = fromBase64(ciphertext);
	const plain = await crypto.subtle.decrypt(
		{ name: "AES-GCM", iv: bytes.subarray(0, 12), additionalData: encoder.encode(accessKeyId) },
		key,
		bytes.subarray(12),
	);
	return new TextDecoder().decode(plain);
}
