/**
 * Figures for the alarm forwarder (lambda/notify): the time one SNS record takes to reach a Slack
 * and a PagerDuty destination on the loopback receiver, and how long a hanging receiver holds an
 * invocation (bounded by the attempt timeout and the Lambda's remaining time).
 * Run: node --require ./scripts/register.js scripts/bench-notify.ts
 */
import * as fs from "node:fs";
import * as path from "node:path";
import { startReceiver } from "../test/support/receiver";
import { makeHandler, type SnsEvent } from "../lambda/notify/index";

async function main(): Promise<void> {
    const receiver = await startReceiver();
    const sample = JSON.parse(
        fs.readFileSync(
            path.join(
                __dirname,
                "..",
                "test",
                "fixtures",
                "aws-samples",
                "cloudwatch-alarm-sns-payload-single-metric.json",
            ),
            "utf8",
        ),
    ) as SnsEvent;
    const secrets: Record<string, string> = {
        slack: receiver.slackUrl,
        pd: "0123456789abcdef0123456789abcdef",
    };
    const h = makeHandler({
        destinations: [
            {
                name: "oncall",
                type: "slack",
                events: ["alerts", "rollbacks", "recoveries"],
                secretArn: "slack",
            },
            {
                name: "pager",
                type: "pagerduty",
                events: ["alerts", "rollbacks", "recoveries"],
                secretArn: "pd",
            },
        ],
        context: {
            prefix: "service-deploy-bench",
            environment: "bench",
            target: "aws",
            services: ["api"],
            runbookUrl: "r",
        },
        getSecret: async (arn) => secrets[arn],
        pagerDutyUrl: receiver.pagerDutyUrl,
        log: () => {},
    });
    const n = 200;
    const ctx = () => ({ getRemainingTimeInMillis: () => 30000 });
    await h(sample, ctx());
    const t0 = process.hrtime.bigint();
    for (let i = 0; i < n; i++) await h(sample, ctx());
    const perMs = Number(process.hrtime.bigint() - t0) / 1e6 / n;
    receiver.setMode({ mode: "hang" });
    const until = Date.now() + 30000;
    const t1 = Date.now();
    await h(sample, { getRemainingTimeInMillis: () => until - Date.now() }).catch(() => undefined);
    const hungMs = Date.now() - t1;
    await receiver.close();
    console.log(
        `forwarder: ${n} ALARM records to Slack + PagerDuty on loopback: ${perMs.toFixed(2)} ms per record`,
    );
    console.log(
        `forwarder: receiver hanging, 2 destinations x 3 attempts of 5 s, 30 s Lambda: returned after ${hungMs} ms`,
    );
}

main().catch((e) => {
    console.error(e);
    process.exit(1);
});
