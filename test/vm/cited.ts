/**
 * The host script's failures that are catalogued (docs/failures.md) read as `cite()` writes them:
 * `ERROR: SD-022: another deploy of app holds the lock ... (see docs/failures.md#sd-022)`, on one
 * line of stderr, with what to do next inside it.
 */
import assert from "node:assert/strict";
import { FAILURES_PAGE, type FailureCode } from "../../components/failures";

/** The first stderr line carrying `code`, which must also match `what` and end with the link. */
export function assertCited(stderr: string, code: FailureCode, what: RegExp): void {
    const line = stderr.split("\n").find((l) => l.includes(`ERROR: ${code}: `));
    assert.ok(line, `an "ERROR: ${code}: " line in:\n${stderr}`);
    assert.match(line, what);
    assert.ok(line.endsWith(`(see ${FAILURES_PAGE}#${code.toLowerCase()})`), `ends with the link: ${line}`);
}
