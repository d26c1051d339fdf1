import { clock } from "../clock";
import type { Env } from "../env";
import { AwsError } from "../protocol/errors";
import { blockedForMs, countFailure, failureBucketOf } from "./failureLimit";
import { lookupKnownPrincipal, lookupPrincipal, mayCall, type Principal } from "./principals";
import { signedPartsOf, verifySigV4 } from "./sigv4";

export type { Principal } from "./principals";

/**
 * SPEC §11: what the signature must cover so a captured request cannot be re-aimed.
 * SigV4 lets the signer choose SignedHeaders; a request signed over host;x-amz-date
 * alone could be replayed with another X-Amz-Target (an Extend sent as a CheckIn)
 * or another Content-Type. Every AWS SDK and botocore sign all of these already.
 */
const OPERATION_BINDING = {
	always: ["host", "x-amz-date", "x-amz-target"],
	whenPresent: ["content-type"],
} as const;

/** Seconds a throttled caller is advised to wait: the Rate Limiting bindings count in 60 s windows. */
const PRINCIPAL_RETRY_AFTER_S = 60;

/**
 * SPEC §2 and §4 step 1, the one place a caller's identity comes from: SigV4 over
 * the exact bytes received, then the principal's rate limit, then whether it may
 * call this operation.
 *
 * Failed authentications are counted per client address (failureLimit.ts). An
 * address over its budget may still use keys this isolate already holds — that
 * needs no lookup, and it keeps a license server working when an attacker shares
 * its address (a NAT) — but anything else it sends is refused with
 * RateLimitExceededException without a lookup.
 */
export async function authenticate(
	env: Env,
	request: Request,
	body: Uint8Array,
	operation: string,
): Promise<Principal> {
	const bucket = failureBucketOf(request.headers);
	const blockedMs = bucket ? blockedForMs(bucket) : 0;
	let principal: Principal | null = null;
	const verdict = await verifySigV4(
		await signedPartsOf(request, body),
		async (accessKeyId) => {
			principal =
				blockedMs > 0
					? await lookupKnownPrincipal(env, accessKeyId)
					: await lookupPrincipal(env, accessKeyId);
			return principal;
		},
		clock.now(),
		{ requiredSignedHeaders: OPERATION_BINDING },
	);
	if (!verdict.ok) {
		if (blockedMs > 0) {
			throw new AwsError(
				"RateLimitExceededException",
				"Too many failed authentication attempts from this address; try again later.",
				{ retryAfter: Math.ceil(blockedMs / 1000) },
			);
		}
		if (bucket) await countFailure(env, bucket);
		throw new AwsError(verdict.error.type, verdict.error.message);
	}
	// verifySigV4 succeeds only after a lookup that found the key; TypeScript cannot see the callback's assignment.
	const caller = principal as Principal | null;
	if (!caller) throw new Error("SigV4 verified without a principal");

	const limiter = caller.rateTier === "bulk" ? env.PRINCIPAL_LIMITER_BULK : env.PRINCIPAL_LIMITER;
	if (limiter && !(await limiter.limit({ key: caller.accessKeyId })).success) {
		throw new AwsError(
			"RateLimitExceededException",
			"Rate exceeded for this access key; slow down.",
			{
				retryAfter: PRINCIPAL_RETRY_AFTER_S,
			},
		);
	}
	if (!mayCall(caller, operation)) {
		throw new AwsError(
			"AuthorizationException",
			`The access key ${caller.accessKeyId} is not allowed to perform ${operation}.`,
		);
	}
	return caller;
}
