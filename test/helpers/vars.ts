import { createExecutionContext, runInDurableObject } from "cloudflare:test";
import { env } from "cloudflare:workers";
import type { Env } from "../../src/env";
import worker from "../../src/index";
import { LicenseObject } from "../../src/license/object";
import { ISSUER, type TestPrincipal } from "./principals";
import { stubOf } from "./storage";
import { type Reply, readReply, signedRequest } from "./wire";

/** The string vars of the Worker's env (not its bindings). */
export type Vars = {
	[K in keyof Env as Env[K] extends string | undefined ? K : never]?: string;
};

/**
 * A deployment with other vars, e.g. a lowered SPEC §11 limit. Config is parsed per
 * env object (src/config.ts), so a new env object is what a redeploy with changed
 * vars looks like: same bindings (D1, objects, secrets), different vars.
 */
export function envWith(vars: Vars): Env {
	return { ...env, ...vars };
}

/** A signed call through the Worker's own fetch handler with another env (other vars, or a stand-in binding). */
export async function callWithEnv(
	deployment: Env,
	operation: string,
	body: unknown,
	principal: TestPrincipal = ISSUER,
): Promise<Reply> {
	const request = await signedRequest(operation, JSON.stringify(body), principal);
	return readReply(await worker.fetch(request, deployment, createExecutionContext()));
}

/** A signed call through the Worker's own fetch handler, running with `vars` set. */
export function callWithVars(
	vars: Vars,
	operation: string,
	body: unknown,
	principal: TestPrincipal = ISSUER,
): Promise<Reply> {
	return callWithEnv(envWith(vars), operation, body, principal);
}

/**
 * Gives a license's running object `vars`, as a deploy would: what the object decides
 * itself (versions, live borrows, retention, its rate limit) follows its config,
 * loaded once per object (`LicenseObject.redeployForTests`).
 */
export async function setObjectVars(arn: string, vars: Vars): Promise<void> {
	await runInDurableObject(stubOf(arn), (instance) =>
		LicenseObject.redeployForTests(instance, envWith(vars)),
	);
}
