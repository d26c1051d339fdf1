import { clock } from "../clock";
import type { Config } from "../config";
import type { Env } from "../env";
import { signJws } from "../signing/jws";
import { keptListServes, REVOCATION_LIST_TYP, revocationListClaims } from "./revocationList";
import type { LicenseStore } from "./storage";

/**
 * SPEC §9: the license's signed revocation list, kept in the object's storage and
 * served until it changes or ages (./revocationList.ts says when), so fetches cost no
 * signature. Apart from ./object.ts because it is the object's one await on its own
 * behalf: a signature in flight, shared by the fetches that can use it, while other
 * calls run.
 */

/** What the keeper reads of its object at each fetch (both change with a tests' redeploy). */
export interface KeeperContext {
	env(): Env;
	config(): Config;
}

export class RevocationListKeeper {
	/** The revocation list being signed, and the change count it was read at. */
	private signing: { changes: number; jws: Promise<string> } | null = null;

	constructor(
		private readonly store: LicenseStore,
		private readonly context: KeeperContext,
	) {}

	/**
	 * The signed list of the license `licenseArn`. A fetch while a list is being
	 * signed from the same changes waits for that one instead of signing again; one
	 * that sees a newer change signs its own, so no caller gets a list older than the
	 * last revocation it could have seen.
	 */
	async serve(licenseArn: string): Promise<string> {
		const now = clock.now();
		const config = this.context.config();
		const ttlMs = config.revocationListTtlMs;
		const changes = this.store.revocationChanges();
		const kept = this.store.revocationList();
		if (kept && keptListServes(kept, changes, now, ttlMs)) return kept.jws;
		if (this.signing?.changes === changes) return this.signing.jws;
		const listed = this.store.listedBorrows(now);
		const claims = revocationListClaims(config.issuerId, licenseArn, listed, now, ttlMs);
		const jws = signJws(this.context.env(), REVOCATION_LIST_TYP, claims, now).then((signed) => {
			this.store.putRevocationList({
				jws: signed,
				issuedAt: now,
				changes,
				nextDropAt: listed[0]?.tokenExp ?? null,
			});
			return signed;
		});
		const signing = { changes, jws };
		this.signing = signing;
		try {
			return await jws;
		} finally {
			if (this.signing === signing) this.signing = null;
		}
	}
}
