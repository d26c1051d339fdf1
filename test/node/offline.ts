import { spawnSync } from "node:child_process";
import { join } from "node:path";

/**
 * An environment with no Cloudflare credentials and no way out: no token or key
 * variables, an empty HOME (no `wrangler login` state), no keyring, and a proxy on a
 * closed local port, so any request wrangler might still try fails at once.
 */
export function offlineEnv(home: string, extra: NodeJS.ProcessEnv = {}): NodeJS.ProcessEnv {
	const env: NodeJS.ProcessEnv = {};
	for (const [k, v] of Object.entries(process.env))
		if (!/^(CLOUDFLARE_|CF_|WRANGLER_)/.test(k) && !/_proxy$/i.test(k)) env[k] = v;
	return {
		...env,
		HOME: home,
		XDG_CONFIG_HOME: join(home, ".config"),
		CI: "true",
		CLOUDFLARE_AUTH_USE_KEYRING: "false",
		WRANGLER_SEND_METRICS: "false",
		HTTPS_PROXY: "http://127.0.0.1:9",
		HTTP_PROXY: "http://127.0.0.1:9",
		...extra,
	};
}

/** A Node script's exit status and both streams (for the runs that must fail in one line). */
export function runScript(
	script: string,
	args: string[],
	env: NodeJS.ProcessEnv,
	timeout = 120_000,
): { status: number | null; stdout: string; stderr: string } {
	const res = spawnSync("node", [script, ...args], {
		encoding: "utf8",
		stdio: ["ignore", "pipe", "pipe"],
		env,
		timeout,
	});
	return { status: res.status, stdout: res.stdout, stderr: res.stderr };
}
