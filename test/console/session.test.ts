import { beforeEach, describe, expect, it } from "vitest";
import { forgetCredentials, loadCredentials, saveCredentials } from "../../console/src/session";

const KEY = { accessKeyId: "AKIDLOCALDEV0000001", secretAccessKey: "s3cret", region: "us-east-1" };

describe("session credentials", () => {
	beforeEach(() => {
		sessionStorage.clear();
		localStorage.clear();
	});

	it("keeps the key in sessionStorage only, and Sign out forgets it", () => {
		saveCredentials(KEY);
		expect(loadCredentials()).toEqual(KEY);
		expect(localStorage.length).toBe(0);
		expect(document.cookie).toBe("");
		forgetCredentials();
		expect(loadCredentials()).toBeNull();
		expect(sessionStorage.length).toBe(0);
	});

	it("drops a damaged entry", () => {
		sessionStorage.setItem("edge-license-manager.console.credentials", "{not json");
		expect(loadCredentials()).toBeNull();
		expect(sessionStorage.length).toBe(0);
	});
});
