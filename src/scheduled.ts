import { clock } from "./clock";
import { loadConfig } from "./config";
import type { Env } from "./env";
import { errorText, logEvent } from "./log";
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
		logEvent("retention", { ...report });
	} catch (err) {
		logEvent("retention_failed", { error: errorText(err) }, "error");
		throw err;
	}
}
