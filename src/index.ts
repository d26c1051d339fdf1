import type { Env } from "./env";
import { healthResponse, isHealthRequest } from "./health";
import { buildApp } from "./protocol/app";
import { runScheduled } from "./scheduled";

export { LicenseObject } from "./license/object";

const app = buildApp();

export default {
	fetch(request: Request, env: Env, ctx?: ExecutionContext) {
		// GET /health answers before the API app: no authentication, no request logging.
		if (isHealthRequest(request)) return healthResponse(env);
		return app.fetch(request, env, ctx);
	},
	async scheduled(_controller, env, _ctx) {
		await runScheduled(env);
	},
} satisfies ExportedHandler<Env>;
