/**
 * The rollback alarms' timing, shared by the alarms (components/aws/alarms.ts) and the config
 * check that refuses a bake too short for them (components/config/cross-field.ts). Pure, no Pulumi.
 */

/**
 * Minutes between a minute of ALB traffic and its datapoint being in CloudWatch: ALB publishes
 * 60-second metrics, and alarms evaluate them a few minutes late. The bake must cover this on top
 * of the longest rollback window, or the bake ends before the alarm can fire.
 */
export const METRIC_DELAY_MINUTES = 3;

/** Minutes the unhealthy rollback alarm looks at. */
export const UNHEALTHY_WINDOW_MINUTES = 3;

/**
 * M of N for a rollback window of N one-minute periods: M = ceil(0.6 N), and M < N when N > 1,
 * so one late or missing datapoint does not hold a rollback back past the bake. Pure.
 */
export function rollbackDatapoints(minutes: number): {
    evaluationPeriods: number;
    datapointsToAlarm: number;
} {
    const m = minutes <= 1 ? 1 : Math.min(minutes - 1, Math.ceil(minutes * 0.6));
    return { evaluationPeriods: minutes, datapointsToAlarm: m };
}

/** Why a bake is too short for the rollback alarms to act within it, or undefined. Pure. */
export function rollbackWindowProblem(t: {
    bakeTimeMinutes: number;
    rollbackErrorRateMinutes: number;
    rollbackP95LatencyMinutes: number;
}): string | undefined {
    const longest = Math.max(
        t.rollbackErrorRateMinutes,
        t.rollbackP95LatencyMinutes,
        UNHEALTHY_WINDOW_MINUTES,
    );
    const need = longest + METRIC_DELAY_MINUTES;
    if (t.bakeTimeMinutes >= need) return undefined;
    return `a bake of ${t.bakeTimeMinutes} min ends before the rollback alarms can fire: the longest rollback window is ${longest} min and CloudWatch's ALB metrics arrive about ${METRIC_DELAY_MINUTES} min late, so set bakeTimeMinutes to at least ${need} (or shorten rollbackErrorRateMinutes / rollbackP95LatencyMinutes)`;
}
