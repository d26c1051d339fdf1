import { AwsError } from "./errors";

/**
 * Collects constraint violations in AWS's wording, e.g.
 * `1 validation error detected: Value 'a-b' at 'clientToken' failed to satisfy
 * constraint: Member must satisfy regular expression pattern: [a-zA-Z0-9]*`.
 * Paths are the lowerCamel member names AWS reports (`entitlements.1.member.value`).
 * Every reader returns `undefined` for an invalid value, so handlers validate the
 * whole request, then call `done()` once, before touching any state.
 */
export class Validator {
	private readonly errors: string[] = [];
	private readonly failedPaths = new Set<string>();

	fail(path: string, value: unknown, constraint: string): undefined {
		this.failedPaths.add(path);
		this.errors.push(
			`Value ${show(value)} at '${path}' failed to satisfy constraint: Member must ${constraint}`,
		);
		return undefined;
	}

	/** For rules that are not per-member constraints (duplicates, cross-field rules). */
	add(message: string): undefined {
		this.errors.push(message);
		return undefined;
	}

	/** Whether the member at `path` was already reported (so a cross-field rule need not repeat it). */
	failedAt(path: string): boolean {
		return this.failedPaths.has(path);
	}

	get ok(): boolean {
		return this.errors.length === 0;
	}

	done(): void {
		if (this.errors.length === 0) return;
		const n = this.errors.length;
		throw new AwsError(
			"ValidationException",
			`${n} validation error${n === 1 ? "" : "s"} detected: ${this.errors.join("; ")}`,
		);
	}

	private present(value: unknown, path: string, required: boolean): boolean {
		if (value === undefined || value === null) {
			if (required) this.fail(path, null, "not be null");
			return false;
		}
		return true;
	}

	string(
		value: unknown,
		path: string,
		rules: {
			required?: boolean;
			min?: number;
			max?: number;
			pattern?: RegExp;
			patternText?: string;
		} = {},
	): string | undefined {
		if (!this.present(value, path, rules.required ?? false)) return undefined;
		if (typeof value !== "string") return this.fail(path, value, "be of type string");
		if (rules.min !== undefined && value.length < rules.min) {
			return this.fail(path, value, `have length greater than or equal to ${rules.min}`);
		}
		if (rules.max !== undefined && value.length > rules.max) {
			return this.fail(path, value, `have length less than or equal to ${rules.max}`);
		}
		if (rules.pattern && !rules.pattern.test(value)) {
			return this.fail(
				path,
				value,
				`satisfy regular expression pattern: ${rules.patternText ?? rules.pattern.source}`,
			);
		}
		return value;
	}

	enumValue<T extends string>(
		value: unknown,
		path: string,
		allowed: readonly T[],
		required = false,
	): T | undefined {
		const s = this.string(value, path, { required });
		if (s === undefined) return undefined;
		if (!(allowed as readonly string[]).includes(s)) {
			return this.fail(path, s, `satisfy enum value set: [${allowed.join(", ")}]`);
		}
		return s as T;
	}

	boolean(value: unknown, path: string, required = false): boolean | undefined {
		if (!this.present(value, path, required)) return undefined;
		if (typeof value !== "boolean") return this.fail(path, value, "be of type boolean");
		return value;
	}

	integer(
		value: unknown,
		path: string,
		rules: { required?: boolean; min?: number; max?: number } = {},
	): number | undefined {
		if (!this.present(value, path, rules.required ?? false)) return undefined;
		if (typeof value !== "number" || !Number.isSafeInteger(value)) {
			return this.fail(path, value, "be an integer");
		}
		if (rules.min !== undefined && value < rules.min) {
			return this.fail(path, value, `have value greater than or equal to ${rules.min}`);
		}
		if (rules.max !== undefined && value > rules.max) {
			return this.fail(path, value, `have value less than or equal to ${rules.max}`);
		}
		return value;
	}

	object(value: unknown, path: string, required = false): Record<string, unknown> | undefined {
		if (!this.present(value, path, required)) return undefined;
		if (typeof value !== "object" || value === null || Array.isArray(value)) {
			return this.fail(path, value, "be a structure");
		}
		return value as Record<string, unknown>;
	}

	list(
		value: unknown,
		path: string,
		rules: { required?: boolean; min?: number; max?: number } = {},
	): unknown[] | undefined {
		if (!this.present(value, path, rules.required ?? false)) return undefined;
		if (!Array.isArray(value)) return this.fail(path, value, "be a list");
		if (rules.min !== undefined && value.length < rules.min) {
			return this.fail(path, value, `have length greater than or equal to ${rules.min}`);
		}
		if (rules.max !== undefined && value.length > rules.max) {
			return this.fail(path, value, `have length less than or equal to ${rules.max}`);
		}
		return value;
	}

	/**
	 * A list of structures, each member (`path.N.member`, numbered from 1 as AWS
	 * reports them) read by `read`, which reports its own errors and returns
	 * undefined for a member it refused. Undefined unless every member was read.
	 */
	structures<T>(
		value: unknown,
		path: string,
		rules: { required?: boolean; min?: number; max?: number },
		read: (member: Record<string, unknown>, memberPath: string) => T | undefined,
	): T[] | undefined {
		const list = this.list(value, path, rules);
		if (!list) return undefined;
		const out: T[] = [];
		list.forEach((raw, i) => {
			const memberPath = `${path}.${i + 1}.member`;
			const member = this.object(raw, memberPath, true);
			const item = member && read(member, memberPath);
			if (item !== undefined) out.push(item);
		});
		return out.length === list.length ? out : undefined;
	}

	/** Reports the first repeated key of a list, e.g. duplicate entitlement names. */
	unique(keys: readonly string[], path: string, what: string): boolean {
		const seen = new Set<string>();
		for (const key of keys) {
			if (seen.has(key)) {
				this.add(`Duplicate ${what} '${clip(key)}' at '${path}'`);
				return false;
			}
			seen.add(key);
		}
		return true;
	}
}

const SHOWN_CHARS = 128;

/**
 * At most SHOWN_CHARS of `s`, and always well-formed: a cut through a surrogate
 * pair, or an unpaired surrogate in the input, is shown as U+FFFD.
 */
function clip(s: string): string {
	return (s.length > SHOWN_CHARS ? `${s.slice(0, SHOWN_CHARS)}...` : s).toWellFormed();
}

/** Renders a value as AWS does (`'text'`, `null`, `[a, b]`), clipped so no reply echoes a huge input. */
export function show(value: unknown): string {
	if (value === null || value === undefined) return "null";
	if (typeof value === "string") return `'${clip(value)}'`;
	if (Array.isArray(value))
		return clip(
			`[${value.map((v) => (typeof v === "string" ? v : JSON.stringify(v))).join(", ")}]`,
		);
	return clip(JSON.stringify(value) ?? String(value));
}
