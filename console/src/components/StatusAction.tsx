import { useState } from "preact/hooks";
import type { LicenseManagerApi } from "../api/licenseManager";
import type { License, VersionAnswer } from "../api/types";
import { statusAction, statusVersionInput } from "../view/versions";
import { ErrorNote } from "./common";
import { newClientToken } from "./hooks";

type Step =
	| { step: "idle" }
	| { step: "confirm"; clientToken: string }
	| { step: "sending" }
	| { step: "answered"; answer: VersionAnswer }
	| { step: "failed"; error: unknown; clientToken: string };

/** Deactivate / reactivate: a new version with the status changed, after a confirmation. */
export function StatusAction({
	api,
	license,
	busy,
	onChanged,
}: {
	api: LicenseManagerApi;
	license: License;
	/** The license is being read again: an action now would name a stale SourceVersion. */
	busy: boolean;
	onChanged: () => void;
}) {
	const [state, setState] = useState<Step>({ step: "idle" });
	const action = statusAction(license.Status);

	async function send(clientToken: string) {
		if (!action) return;
		setState({ step: "sending" });
		try {
			const answer = await api.createLicenseVersion(
				statusVersionInput(license, action.to, clientToken),
			);
			setState({ step: "answered", answer });
			onChanged();
		} catch (error) {
			setState({ step: "failed", error, clientToken });
		}
	}

	return (
		<div class="actions">
			{state.step === "answered" ? (
				<p class="note ok" role="status">
					The service answered: version {state.answer.Version} is {state.answer.Status}.
				</p>
			) : null}
			{state.step === "failed" ? (
				<ErrorNote error={state.error} context="The change was refused:" />
			) : null}
			{action && state.step === "confirm" ? (
				<fieldset class="confirm">
					<legend class="visually-hidden">{action.label} this license</legend>
					<p>
						{action.label} “{license.LicenseName}”? {action.consequence} The service records this as
						a new version.
					</p>
					<button type="button" class="danger" onClick={() => send(state.clientToken)}>
						Confirm {action.label.toLowerCase()}
					</button>
					<button type="button" class="secondary" onClick={() => setState({ step: "idle" })}>
						Cancel
					</button>
				</fieldset>
			) : null}
			{action && state.step !== "confirm" ? (
				<button
					type="button"
					disabled={busy || state.step === "sending"}
					onClick={() =>
						setState({
							step: "confirm",
							clientToken: state.step === "failed" ? state.clientToken : newClientToken(),
						})
					}
				>
					{state.step === "sending" ? "Sending…" : action.label}
				</button>
			) : null}
			{!action ? (
				<p class="muted">No status change is offered for a {license.Status} license.</p>
			) : null}
		</div>
	);
}
