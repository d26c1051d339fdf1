/**
 * Byte encodings the service writes on the wire and in ids: one implementation each.
 * (src/auth/secretBox.ts keeps its own base64: Node scripts import it without a bundler.)
 */

const utf8 = new TextEncoder();

const HEX = Array.from({ length: 256 }, (_, i) => i.toString(16).padStart(2, "0"));

export function hex(bytes: ArrayBuffer | Uint8Array): string {
	let out = "";
	for (const b of bytes instanceof Uint8Array ? bytes : new Uint8Array(bytes)) out += HEX[b];
	return out;
}

type WithToBase64 = Uint8Array & {
	toBase64?: (options: { alphabet: "base64url"; omitPadding: boolean }) => string;
};

/** Unpadded base64url: the runtime's native encoder where it has one (workerd does). */
export function base64url(bytes: Uint8Array): string {
	const native = (bytes as WithToBase64).toBase64;
	if (native) return native.call(bytes, { alphabet: "base64url", omitPadding: true });
	let binary = "";
	for (let i = 0; i < bytes.length; i++) binary += String.fromCharCode(bytes[i] as number);
	return btoa(binary).replace(/\+/g, "-").replace(/\//g, "_").replace(/=+$/, "");
}

/** Throws on text that is not base64url. */
export function fromBase64url(text: string): Uint8Array<ArrayBuffer> {
	const binary = atob(text.replace(/-/g, "+").replace(/_/g, "/"));
	return Uint8Array.from(binary, (c) => c.charCodeAt(0));
}

/** Lower-case hex SHA-256 of bytes or of a string's UTF-8. */
export async function sha256Hex(data: ArrayBuffer | Uint8Array | string): Promise<string> {
	const bytes =
		typeof data === "string"
			? utf8.encode(data)
			: data instanceof ArrayBuffer || data.buffer instanceof ArrayBuffer
				? (data as ArrayBuffer | Uint8Array<ArrayBuffer>)
				: new Uint8Array(data); // a view over a SharedArrayBuffer must be copied for WebCrypto
	return hex(await crypto.subtle.digest("SHA-256", bytes));
}

/**
 * Bytes `text` takes as UTF-8, counted without encoding it (limits measure every
 * document and list item). A lone surrogate counts 3, as the U+FFFD it encodes to.
 */
export function utf8Length(text: string): number {
	let bytes = 0;
	for (let i = 0; i < text.length; i++) {
		const c = text.charCodeAt(i);
		if (c < 0x80) bytes += 1;
		else if (c < 0x800) bytes += 2;
		else if (c >= 0xd800 && c <= 0xdbff && i + 1 < text.length) {
			const next = text.charCodeAt(i + 1);
			if (next >= 0xdc00 && next <= 0xdfff) {
				bytes += 4;
				i++;
			} else bytes += 3;
		} else bytes += 3;
	}
	return bytes;
}

/** UTF-8 bytes of a value's JSON, as it goes on the wire or into storage. */
export function jsonLength(value: unknown): number {
	return utf8Length(JSON.stringify(value) ?? "");
}
