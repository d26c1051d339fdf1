import type { Config } from "../config";
import type { Env } from "../env";
import type { Caller } from "../license/contract";

export interface OperationContext {
	env: Env;
	config: Config;
	caller: Caller;
	/** The parsed request body: a JSON object (possibly empty). */
	input: Record<string, unknown>;
	/** What the operation tells the request's log line (src/protocol/requestLog.ts). */
	log: { replay?: boolean };
}

/** A handler returns the response body: an object to serialise, or JSON already serialised (stored replies). */
export type Operation = (ctx: OperationContext) => Promise<object | string>;
