import { useCallback, useEffect, useState } from "preact/hooks";

export type Async<T> =
	| { state: "loading" }
	| { state: "done"; value: T; reloading: boolean }
	| { state: "failed"; error: unknown };

/**
 * Runs `load` whenever `deps` change; a stale answer (deps moved on) is dropped.
 * While it runs again, the last answer stays on screen (with `reloading`), so what
 * a person just read — an action's answer among it — does not blink away.
 */
export function useAsync<T>(load: () => Promise<T>, deps: unknown[]): [Async<T>, () => void] {
	const [result, setResult] = useState<Async<T>>({ state: "loading" });
	const [round, setRound] = useState(0);
	const reload = useCallback(() => setRound((r) => r + 1), []);
	// The caller names what `load` depends on in `deps`.
	useEffect(() => {
		let current = true;
		setResult((prev) =>
			prev.state === "done" ? { ...prev, reloading: true } : { state: "loading" },
		);
		load().then(
			(value) => current && setResult({ state: "done", value, reloading: false }),
			(error: unknown) => current && setResult({ state: "failed", error }),
		);
		return () => {
			current = false;
		};
	}, [...deps, round]);
	return [result, reload];
}

/**
 * A ClientToken for one intended change. Callers keep it until the change succeeds,
 * so sending the same form again after a lost answer cannot make the change twice.
 */
export function newClientToken(): string {
	return crypto.randomUUID();
}
