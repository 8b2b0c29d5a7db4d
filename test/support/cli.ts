/**
 * Runs the built CLI (bin/assistant.js) as a subprocess, the way a person would, in a
 * temp home with its own data and config directories.
 */
import { spawn, type ChildProcess } from 'node:child_process';
import Database from 'better-sqlite3';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';

import type { MessageRow } from './database.js';

export const BIN = resolve(import.meta.dirname, '../../bin/assistant.js');

/** Planted in every test's environment so tests can prove it never leaks. */
export const PLANTED_KEY = 'sk-test-PLANTED-7f3a9c1e5b2d4f60';

export interface CliResult {
  code: number | null;
  signal: NodeJS.Signals | null;
  stdout: string;
  stderr: string;
}

export interface RunOptions {
  /** Piped to stdin; undefined leaves stdin empty and closed (like < /dev/null). */
  input?: string | Buffer;
  env?: Record<string, string | undefined>;
  cwd?: string;
  /** Leave stdin open for the test to write to (start only). */
  keepStdinOpen?: boolean;
}

/** Which store the CLI tests run against: SQLite by default, PostgreSQL in the "postgres" test project. */
export const TEST_STORE: 'sqlite' | 'postgres' = process.env.ASSISTANT_TEST_STORE === 'postgres' ? 'postgres' : 'sqlite';

export class TempHome {
  readonly root = mkdtempSync(join(tmpdir(), 'assistant-test-'));
  readonly dataDirectory = join(this.root, 'data');
  readonly configDirectory = join(this.root, 'config');
  /** The SQLite file, when the store is SQLite. */
  readonly databasePath = join(this.dataDirectory, 'assistant', 'assistant.db');
  /** The PostgreSQL database, when the store is PostgreSQL. */
  private postgresUrl: string | undefined;

  private constructor(private readonly baseURL: string) {}

  /** A temp home whose store is a fresh SQLite file or a fresh PostgreSQL database (TEST_STORE). */
  static async create(baseURL: string): Promise<TempHome> {
    const home = new TempHome(baseURL);
    if (TEST_STORE === 'postgres') {
      const { createTestDatabase } = await import('./postgres.js');
      home.postgresUrl = await createTestDatabase();
    }
    return home;
  }

  get isPostgres(): boolean {
    return this.postgresUrl !== undefined;
  }

  /** Rows from the store, whichever it is: booleans as 0/1 and counts as numbers, as SQLite gives them. */
  async rows<T = Record<string, unknown>>(sql: string): Promise<T[]> {
    if (this.postgresUrl) {
      const { queryDatabase } = await import('./postgres.js');
      const rows = await queryDatabase(this.postgresUrl, sql);
      return rows.map((row) =>
        Object.fromEntries(
          Object.entries(row).map(([key, value]) => [key, typeof value === 'boolean' ? Number(value) : value]),
        ),
      ) as T[];
    }
    const database = new Database(this.databasePath, { readonly: true, fileMustExist: true });
    try {
      return database.prepare(sql).all() as T[];
    } finally {
      database.close();
    }
  }

  /** Runs a statement that changes the store (to seed rows a test needs). */
  async execute(sql: string): Promise<void> {
    if (this.postgresUrl) {
      const { queryDatabase } = await import('./postgres.js');
      await queryDatabase(this.postgresUrl, sql);
      return;
    }
    const database = new Database(this.databasePath, { fileMustExist: true });
    try {
      database.exec(sql);
    } finally {
      database.close();
    }
  }

  async messageRows(): Promise<MessageRow[]> {
    return this.rows<MessageRow>('SELECT * FROM messages ORDER BY id');
  }

  environment(extra: Record<string, string | undefined> = {}): NodeJS.ProcessEnv {
    const env: NodeJS.ProcessEnv = {
      PATH: process.env.PATH,
      HOME: this.root,
      XDG_DATA_HOME: this.dataDirectory,
      XDG_CONFIG_HOME: this.configDirectory,
      OPENAI_BASE_URL: this.baseURL,
      OPENAI_API_KEY: PLANTED_KEY,
      ASSISTANT_MAX_RETRIES: '0',
      TZ: 'UTC',
      // The virtual sound card, when the audio tests started one (test/support/sound-card.ts).
      PULSE_SERVER: process.env.PULSE_SERVER,
      AUDIODRIVER: process.env.PULSE_SERVER ? 'pulseaudio' : undefined,
      DATABASE_URL: this.postgresUrl,
      ...extra,
    };
    for (const key of Object.keys(env)) if (env[key] === undefined) delete env[key];
    return env;
  }

  start(args: string[], options: RunOptions = {}): ChildProcess {
    const child = spawn(process.execPath, [BIN, ...args], {
      cwd: options.cwd ?? this.root,
      env: this.environment(options.env),
      stdio: ['pipe', 'pipe', 'pipe'],
    });
    // The CLI may stop reading stdin early (input over its limit): that is expected, not a test error.
    child.stdin!.on('error', () => {});
    const seen = { stdout: '', stderr: '' };
    child.stdout!.on('data', (chunk: Buffer | string) => (seen.stdout += chunk.toString()));
    child.stderr!.on('data', (chunk: Buffer | string) => (seen.stderr += chunk.toString()));
    outputSoFar.set(child, seen);
    if (options.input !== undefined) child.stdin!.end(options.input);
    else if (!options.keepStdinOpen) child.stdin!.end();
    return child;
  }

  run(args: string[], options: RunOptions = {}): Promise<CliResult> {
    return collect(this.start(args, options));
  }

  async remove(): Promise<void> {
    rmSync(this.root, { recursive: true, force: true });
    if (this.postgresUrl) {
      const { dropTestDatabase } = await import('./postgres.js');
      await dropTestDatabase(this.postgresUrl);
    }
  }
}

export function collect(child: ChildProcess): Promise<CliResult> {
  let stdout = '';
  let stderr = '';
  child.stdout!.setEncoding('utf8').on('data', (chunk: string) => (stdout += chunk));
  child.stderr!.setEncoding('utf8').on('data', (chunk: string) => (stderr += chunk));
  return new Promise((resolvePromise, reject) => {
    child.on('error', reject);
    child.on('close', (code, signal) => resolvePromise({ code, signal, stdout, stderr }));
  });
}

const outputSoFar = new WeakMap<ChildProcess, { stdout: string; stderr: string }>();

/** Resolves once the child's stdout (since it started) contains `text`. */
export function waitForOutput(child: ChildProcess, text: string, timeoutMs = 15_000): Promise<void> {
  return waitForPrinted(child, 'stdout', text, timeoutMs);
}

/** Resolves once the child's stderr (notes, errors; since it started) contains `text`. */
export function waitForStderr(child: ChildProcess, text: string, timeoutMs = 15_000): Promise<void> {
  return waitForPrinted(child, 'stderr', text, timeoutMs);
}

async function waitForPrinted(child: ChildProcess, stream: 'stdout' | 'stderr', text: string, timeoutMs: number): Promise<void> {
  const seen = outputSoFar.get(child);
  if (!seen) throw new Error('waiting for output needs a child made by TempHome.start');
  const start = Date.now();
  while (!seen[stream].includes(text)) {
    if (child.exitCode !== null || child.signalCode !== null) throw new Error(`exited before printing ${JSON.stringify(text)} on ${stream}; printed ${JSON.stringify(seen[stream])}`);
    if (Date.now() - start > timeoutMs) throw new Error(`no ${JSON.stringify(text)} on ${stream} within ${timeoutMs} ms; printed ${JSON.stringify(seen[stream])}`);
    await new Promise((resolve) => setTimeout(resolve, 20));
  }
}
