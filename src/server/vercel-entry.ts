/**
 * The server as a Vercel function (function-app.ts, PostgreSQL only). api/index.js exports it as
 * Vercel's Web-standard `{ fetch }` handler for the Node.js runtime: Request in, Response out,
 * with no adapter in between.
 */
import type { Hono } from 'hono';
import { functionApp, type FunctionEnvironment } from './function-app.js';

export const NOT_POSTGRES = 'On Vercel the store must be PostgreSQL: set DATABASE_URL to a postgres:// URL (a function keeps no files between requests).';

export function vercelApp(environment: FunctionEnvironment): Hono {
  return functionApp(environment, NOT_POSTGRES);
}
