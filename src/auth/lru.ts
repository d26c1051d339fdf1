/**
 * A bounded least-recently-used map, for the per-isolate caches of authentication
 * (principals, unknown access key ids, blocked client addresses).
 *
 * Why bounded and LRU rather than a Map that is cleared when full: a cache that
 * empties itself lets anyone who can fill it (with fake access key ids, say) evict
 * every entry at once, so the real ones are read again from D1. Here one insert
 * evicts exactly one entry, the one unused for longest.
 *
 * Hand-written rather than a library because it is a dozen lines over `Map`'s
 * insertion order, and expiry stays with the callers, on the service's injectable
 * clock (`src/clock.ts`), which a library's own timer would not use.
 */
export class Lru<K, V> {
	readonly #entries = new Map<K, V>();

	constructor(readonly maxEntries: number) {
		if (!Number.isInteger(maxEntries) || maxEntries < 1) {
			throw new RangeError("maxEntries must be a positive integer");
		}
	}

	get size(): number {
		return this.#entries.size;
	}

	/** The value, now the most recently used; undefined if absent. */
	get(key: K): V | undefined {
		const value = this.#entries.get(key);
		if (value === undefined) return undefined;
		this.#entries.delete(key);
		this.#entries.set(key, value);
		return value;
	}

	has(key: K): boolean {
		return this.#entries.has(key);
	}

	/** Stores `value` as the most recently used; evicts the least recently used past the bound. */
	set(key: K, value: V): void {
		this.#entries.delete(key);
		this.#entries.set(key, value);
		if (this.#entries.size > this.maxEntries) {
			const oldest = this.#entries.keys().next();
			if (!oldest.done) this.#entries.delete(oldest.value);
		}
	}

	delete(key: K): boolean {
		return this.#entries.delete(key);
	}

	clear(): void {
		this.#entries.clear();
	}
}
