// Whether wrangler has Cloudflare credentials to use, checked before a script calls
// out: without any, wrangler would prompt (or, under CI, print a page of advice) instead
// of the one line these scripts promise.
import { existsSync, readdirSync, statSync } from "node:fs";
import { homedir } from "node:os";
import { join } from "node:path";
import { CliError } from "./principals.mjs";

export const NO_CREDENTIALS_MESSAGE =
	"needs Cloudflare credentials: set CLOUDFLARE_API_TOKEN or run `npx wrangler login`";

/**
 * Where `wrangler login` keeps its tokens: ~/.wrangler when that directory exists (the
 * legacy place), else $XDG_CONFIG_HOME/.wrangler (~/.config/.wrangler); the profiles
 * are files under its config/ folder (plain TOML, or encrypted with the key in the OS
 * keyring). The same rule as wrangler's getGlobalConfigPath.
 */
function wranglerAuthDir(env = process.env) {
	const home = env.HOME || homedir();
	const legacy = join(home, ".wrangler");
	const base =
		existsSync(legacy) && statSync(legacy).isDirectory()
			? legacy
			: join(env.XDG_CONFIG_HOME || join(home, ".config"), ".wrangler");
	return join(base, "config");
}

/**
 * True when wrangler could authenticate: an API token (or the legacy key and email) in
 * the environment, or any `wrangler login` profile on disk. Deliberately generous — a
 * stale login still passes here, and wrangler's own refusal is then mapped to one line
 * by the caller — so that no working setup is ever refused.
 */
export function hasCloudflareCredentials(env = process.env) {
	if (env.CLOUDFLARE_API_TOKEN) return true;
	if (env.CLOUDFLARE_API_KEY && env.CLOUDFLARE_EMAIL) return true;
	const dir = wranglerAuthDir(env);
	try {
		return readdirSync(dir).some((name) => !name.startsWith("."));
	} catch {
		return false;
	}
}

/** Throws a one-line CliError, prefixed with what needed them, when there are none. */
export function requireCloudflareCredentials(what) {
	if (!hasCloudflareCredentials()) throw new CliError(`${what} ${NO_CREDENTIALS_MESSAGE}`);
}
