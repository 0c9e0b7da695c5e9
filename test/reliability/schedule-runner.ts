/**
 * Runs seeded schedules in a plain Node.js process and prints one JSON line
 * per schedule. `schedules.test.ts` starts it: the AWS SDK runs about a
 * third faster outside jest's module sandbox, and the schedules are bound
 * by that CPU. Run by hand: `npx tsx test/reliability/schedule-runner.ts
 * 1-10` (needs `BROKER_TEST_DYNAMODB_ENDPOINT`).
 */
import { createTestTable } from '../helpers/dynamodb';
import { runSchedule } from './schedule';

const [range = '1-1', lanesText = '2', roundsText = '1'] =
  process.argv.slice(2);
const [first, last] = range.split('-').map(Number) as [number, number];
const seeds = Array.from({ length: last - first + 1 }, (_, i) => first + i);
const lanes = Number(lanesText);
const maxRounds = Number(roundsText);

const main = async (): Promise<void> => {
  const table = await createTestTable();
  let next = 0;
  try {
    await Promise.all(
      Array.from({ length: Math.min(lanes, seeds.length) }, async () => {
        while (next < seeds.length) {
          const seed = seeds[next] as number;
          next += 1;
          try {
            const result = await runSchedule({
              seed,
              callers: 50,
              maxRounds,
              tableName: table.tableName,
              endpoint: process.env.BROKER_TEST_DYNAMODB_ENDPOINT ?? '',
              peek: table.client,
            });
            process.stdout.write(`${JSON.stringify(result)}\n`);
            if (process.env.BROKER_RELIABILITY_DEBUG)
              process.stderr.write(
                `seed ${seed} ${result.durationMs} ms heap ${Math.round(process.memoryUsage().heapUsed / 1e6)} MB\n`,
              );
          } catch (error) {
            const message =
              error instanceof Error ? error.stack : String(error);
            process.stdout.write(
              `${JSON.stringify({ seed, crashed: message })}\n`,
            );
          }
        }
      }),
    );
  } finally {
    await table.drop();
  }
};

main().then(
  // Never-settling logins of "dead" callers must not keep the process up.
  () => process.exit(0),
  (error: unknown) => {
    process.stderr.write(`${String(error)}\n`);
    process.exit(1);
  },
);
