import { show, Validator } from "./validation";

/**
 * SPEC §11: a string that is not well-formed UTF-16 (an unpaired surrogate, which
 * JSON's `\uD800` escape can carry) is refused wherever it appears in a request —
 * member values and member names, at any depth, known members or not. Such a
 * string has no UTF-8 form: SQLite stores a replacement and reads back a different
 * key than the one that was checked, so a usage row was never found again and
 * capacity was never spent. Checked once, on the parsed body, before any operation runs.
 */

/** A value still to visit, with the way to it: its path is only spelled out if it is refused. */
interface Pending {
	value: unknown;
	parent: Pending | null;
	/** `name` for a member (lowerCamel, as AWS reports it), `N.member` for a list item. */
	segment: string;
}

const SHOWN_SEGMENT_CHARS = 64;
const SHOWN_PATH_CHARS = 256;
const CONSTRAINT = "be well-formed UTF-16 (no unpaired surrogates)";

function memberSegment(key: string): string {
	const shown = key.length > SHOWN_SEGMENT_CHARS ? `${key.slice(0, SHOWN_SEGMENT_CHARS)}...` : key;
	return shown.charAt(0).toLowerCase() + shown.slice(1);
}

/** `entitlements.1.member.name`; "" for the body itself; clipped, since nesting is unbounded. */
function pathOf(item: Pending): string {
	const segments: string[] = [];
	for (let at: Pending | null = item; at?.parent; at = at.parent) segments.push(at.segment);
	const path = segments.reverse().join(".");
	return path.length > SHOWN_PATH_CHARS ? `${path.slice(0, SHOWN_PATH_CHARS)}...` : path;
}

/**
 * Throws ValidationException naming the first string that is not well-formed.
 * Walks with an explicit stack: the body may be nested as deep as its size allows.
 */
export function refuseMalformedStrings(body: Record<string, unknown>): void {
	const v = new Validator();
	const stack: Pending[] = [{ value: body, parent: null, segment: "" }];
	for (let item = stack.pop(); item !== undefined && v.ok; item = stack.pop()) {
		const { value } = item;
		if (typeof value === "string") {
			if (!value.isWellFormed()) v.fail(pathOf(item), value, CONSTRAINT);
		} else if (Array.isArray(value)) {
			// Pushed last-first, so items are visited (and the first bad one named) in order.
			for (let i = value.length - 1; i >= 0; i--) {
				stack.push({ value: value[i], parent: item, segment: `${i + 1}.member` });
			}
		} else if (value !== null && typeof value === "object") {
			const members = Object.entries(value);
			const badName = members.find(([key]) => !key.isWellFormed());
			if (badName) {
				const path = pathOf(item);
				v.add(
					`Member name ${show(badName[0])} in ${path === "" ? "the request" : `'${path}'`} failed to satisfy constraint: Member names must ${CONSTRAINT}`,
				);
			}
			for (let i = members.length - 1; i >= 0; i--) {
				const [key, member] = members[i] as [string, unknown];
				stack.push({ value: member, parent: item, segment: memberSegment(key) });
			}
		}
	}
	v.done();
}
