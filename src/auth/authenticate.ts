import type { Env } from "../env";

export interface Principal {
	accountId: string;
	accessKeyId: string;
}

export interface AuthInput {
	request: Request;
	body: Uint8Array;
}

/** The one place the caller's identity comes from. */
export async function authenticate(_env: Env, input: AuthInput): Promise<Principal> {
	const auth = input.request.headers.get("authorization") ?? "";
	const akid = /Credential=([^/]+)\//.exec(auth)?.[1] ?? "AKIDLOCALDEV0000001";
	return { accountId: "111122223333", accessKeyId: akid };
}
