import { clock } from "./clock";
import { loadConfig } from "./config";
import type { Env } from "./env";
import { purgeHistory } from "./records/retention";

/**
 * The cron trigger (wrangler.toml `[triggers]`, daily): D1 history retention
 * (SPEC §11). Ended borrows inside license objects are purged by each object's
 * own alarm, not here. A failed run is logged and rethrown, so the cron's own
 * status shows it; the next day's run takes what it left.
 */
export async function runScheduled(env: Env): Promise<void> {
	try {
		const report = await purgeHistory(env.DB, clock.now(), loadConfig(env).retention.historyMs);
		console.log(JSON.stringify({ type: "retention", ...report }));
	} catch (err) {
		console.error("retention run failed:", err instanceof Error ? err.message : String(err));
		throw err;
	}
}
