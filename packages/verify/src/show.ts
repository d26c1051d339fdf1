/**
 * How a value from a token (or a fetched JWKS) appears in an error message. Apps
 * log these messages and the CLI prints them, so a value is quoted, clipped and
 * stripped of anything that could drive a terminal: a 5 MB `alg` must not become
 * a 5 MB message, nor `\u001b[2J` clear the screen.
 */

/** The longest piece of one value a message shows; a license ARN (about 85 characters) fits whole. */
export const SHOWN_CHARS = 128;

/**
 * C0 and C1 controls (ESC starts terminal sequences; U+009B is the one-byte CSI),
 * DEL, line/paragraph separators, and the bidi formatting characters that reorder
 * what is displayed.
 */
const UNSAFE =
	// biome-ignore lint/suspicious/noControlCharactersInRegex: finding control characters is the point.
	/[\u0000-\u001f\u007f-\u009f\u061c\u200e\u200f\u2028\u2029\u202a-\u202e\u2066-\u2069]/g;

/** Replaces every unsafe character with its `\uXXXX` escape (valid inside JSON strings too). */
export function escapeControls(text: string): string {
	return text.replace(UNSAFE, (c) => `\\u${c.charCodeAt(0).toString(16).padStart(4, "0")}`);
}

/** A token-provided value for a message: JSON-quoted, at most SHOWN_CHARS of it, controls escaped. */
export function show(value: unknown): string {
	const text = typeof value === "string" ? value : (JSON.stringify(value) ?? String(value));
	if (text.length <= SHOWN_CHARS) {
		return escapeControls(typeof value === "string" ? JSON.stringify(text) : text);
	}
	const head = text.slice(0, SHOWN_CHARS);
	const quoted = typeof value === "string" ? `${JSON.stringify(head)}…` : `${head}…`;
	return escapeControls(`${quoted} (${text.length} characters)`);
}

/** Several token-provided values, `/`-separated: the first few shown, the rest counted. */
export function showList(values: readonly unknown[], limit = 5): string {
	const shown = values.slice(0, limit).map(show).join("/");
	return values.length > limit ? `${shown}/… (${values.length} in all)` : shown;
}
