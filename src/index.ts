import type { Env } from "./env";
import { buildApp } from "./protocol/app";
import { runScheduled } from "./scheduled";

export { LicenseObject } from "./license/object";

const app = buildApp();

export default {
	fetch: app.fetch,
	async scheduled(_controller, env, _ctx) {
		await runScheduled(env);
	},
} satisfies ExportedHandler<Env>;
