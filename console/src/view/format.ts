/** Times: shown in the browser's zone; the exact UTC instant goes in the title (hover). */
export interface ShownTime {
	text: string;
	utc: string;
}

export function showTime(
	iso: string,
	options: { locale?: string; timeZone?: string } = {},
): ShownTime {
	const ms = Date.parse(iso);
	if (Number.isNaN(ms)) return { text: iso, utc: iso };
	const text = new Intl.DateTimeFormat(options.locale, {
		dateStyle: "medium",
		timeStyle: "short",
		...(options.timeZone ? { timeZone: options.timeZone } : {}),
	}).format(ms);
	// The service's times are whole seconds.
	return { text, utc: `${new Date(ms).toISOString().slice(0, 19).replace("T", " ")} UTC` };
}

/** "60 minutes" / "2 hours" / "30 days": a borrow lifetime in the largest whole unit. */
export function showMinutes(minutes: number): string {
	const plural = (n: number, unit: string) => `${n} ${unit}${n === 1 ? "" : "s"}`;
	if (minutes % 1440 === 0) return plural(minutes / 1440, "day");
	if (minutes % 60 === 0) return plural(minutes / 60, "hour");
	return plural(minutes, "minute");
}

/** The last part of an ARN: enough to tell licenses apart in narrow places. */
export function shortArn(arn: string): string {
	return arn.slice(arn.lastIndexOf(":") + 1);
}
