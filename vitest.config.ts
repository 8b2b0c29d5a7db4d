import { defineConfig } from 'vitest/config';

const postgres = process.env.ASSISTANT_TEST_POSTGRES_URL;
if (!postgres) {
  console.warn(
    '\n[vitest] The CLI tests run on SQLite only: set ASSISTANT_TEST_POSTGRES_URL to run them on PostgreSQL too\n' +
      '         (eval "export $(bash test/support/postgres-setup.sh)" starts a local server and prints it; CI does).\n',
  );
}

const shared = { testTimeout: 30_000, hookTimeout: 30_000 };
/** The real-audio tests share one virtual sound card: they run one file at a time, after everything else, on SQLite. */
const AUDIO = ['test/cli/talk-voice.test.ts', 'test/cli/talk-detector.test.ts', 'test/cli/talk-local-voice.test.ts', 'test/cli/doctor-audio.test.ts', 'test/cli/say-speaker.test.ts'];

export default defineConfig({
  test: {
    pool: 'forks',
    // Two cores: more workers only make subprocess-heavy tests contend.
    maxWorkers: 2,
    projects: [
      { test: { ...shared, name: 'sqlite', include: ['test/**/*.test.ts'], exclude: AUDIO } },
      { test: { ...shared, name: 'audio', include: AUDIO, fileParallelism: false, sequence: { groupOrder: 1 } } },
      ...(postgres
        ? [
            {
              test: {
                ...shared,
                name: 'postgres',
                // The same end-to-end CLI tests, with DATABASE_URL pointing at a fresh PostgreSQL database.
                // The real-audio tests stay on SQLite: they share one virtual sound card and must run alone.
                include: ['test/cli/**/*.test.ts'],
                // db-copy manages its own stores on both sides.
                // process-faults is about SQLite's file (integrity_check, permissions, file size).
                exclude: [...AUDIO, 'test/cli/db-copy.test.ts', 'test/cli/process-faults.test.ts'],
                env: { ASSISTANT_TEST_STORE: 'postgres' },
              },
            },
          ]
        : []),
    ],
  },
});
