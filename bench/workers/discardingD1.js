// @ts-check
/**
 * A D1 binding that accepts every batch and stores nothing: the license objects'
 * outbox drains into it (SOAK_D1_WRITES=off, BENCHMARKS.md "Memory"). Locally D1 is
 * Miniflare's simulator, an object with its own SQLite database in the same workerd
 * process; production's D1 is not in the Worker's process. With this stand-in the
 * product does everything else as shipped (outbox rows written, drained in order,
 * deleted once sent), so what workerd's memory does without the simulator's writes
 * is the product's and SQLite's share. Bench only.
 */
export class DiscardingD1 {
	constructor() {
		this.batches = 0;
		this.statements = 0;
		/** Bytes of the bound parameters, serialised as a real binding would send them. */
		this.bytes = 0;
	}

	/** @param {string} sql */
	prepare(sql) {
		/** @type {unknown[]} */
		let params = [];
		const statement = {
			sql,
			/** @param {unknown[]} values */
			bind(...values) {
				params = values;
				return statement;
			},
			params: () => params,
		};
		return statement;
	}

	/** @param {{ sql: string, params(): unknown[] }[]} statements */
	async batch(statements) {
		this.batches++;
		this.statements += statements.length;
		this.bytes += JSON.stringify(statements.map((s) => [s.sql, s.params()])).length;
		return statements.map(() => ({ success: true, results: [], meta: { changes: 0 } }));
	}
}
