import type { Entitlement, EntitlementUsage } from "../api/types";

/** One usage bar: ConsumedValue / MaxCount of a counted entitlement. */
export interface UsageBar {
	name: string;
	unit: string;
	consumed: number;
	/** null: no limit (Overage without MaxCount). */
	max: number | null;
	/** 0..1, for the bar's width; a borrow past MaxCount (Overage) is drawn full. */
	fill: number;
	label: string;
	/** For colour and for screen readers: how close the pool is to empty. */
	level: "free" | "busy" | "full" | "over";
}

const HIGH_WATER = 0.8;

export function usageBar(usage: EntitlementUsage): UsageBar {
	const consumed = Number(usage.ConsumedValue);
	const max = usage.MaxCount === undefined ? null : Number(usage.MaxCount);
	const unit = usage.Unit === "Count" ? "" : ` ${usage.Unit}`;
	if (max === null) {
		return {
			name: usage.Name,
			unit: usage.Unit,
			consumed,
			max,
			fill: 0,
			label: `${consumed}${unit} in use (no limit)`,
			level: "free",
		};
	}
	const ratio = max === 0 ? (consumed > 0 ? Number.POSITIVE_INFINITY : 1) : consumed / max;
	const level =
		consumed > max ? "over" : consumed === max ? "full" : ratio >= HIGH_WATER ? "busy" : "free";
	return {
		name: usage.Name,
		unit: usage.Unit,
		consumed,
		max,
		fill: max === 0 ? (consumed > 0 ? 1 : 0) : Math.min(1, ratio),
		label: `${consumed} / ${max}${unit}`,
		level,
	};
}

/** Bars for the counted entitlements only: `None`-unit ones (a tier, a flag) carry no quantity. */
export function countedUsageBars(usages: EntitlementUsage[] | undefined): UsageBar[] {
	return (usages ?? []).filter((u) => u.Unit !== "None").map(usageBar);
}

/** An entitlement's limit in words, for the license page. */
export function showLimit(e: Entitlement): string {
	if (e.Unit === "None") return e.Value ?? "—";
	const unit = e.Unit === "Count" ? "" : ` ${e.Unit}`;
	if (e.MaxCount === undefined) return e.Overage ? "no limit (overage)" : "—";
	return `${e.MaxCount}${unit}${e.Overage ? " (overage allowed)" : ""}`;
}
