/**
 * The server as an AWS Lambda function behind API Gateway (HTTP API, payload v2), an Application
 * Load Balancer or a function URL: the same app as `assistant serve` and the Vercel function
 * (function-app.ts, PostgreSQL only), through Hono's Lambda adapter. Lambda's handler setting:
 * `dist/server/lambda-entry.handler`. Configured from the environment when the instance starts
 * (a cold start), so a store that is not PostgreSQL is refused then, in the log and in every answer.
 *
 * Responses are buffered: API Gateway and `handle` send an answer whole, so `Accept:
 * text/event-stream` on /v1/ask gets all its events at once at the end, and a spoken answer
 * (/v1/talk) arrives in one piece. (`hono/aws-lambda` is marked for a move to `@hono/aws-lambda`
 * in Hono 5; that package is not published yet.)
 */
import { handle } from 'hono/aws-lambda';
import { functionApp, type FunctionEnvironment } from './function-app.js';

export const NOT_POSTGRES_ON_LAMBDA = 'On AWS Lambda the store must be PostgreSQL: set DATABASE_URL to a postgres:// URL (a function keeps no files between invocations).';

/** A Lambda handler over the app configured from `environment`. */
export function lambdaHandler(environment: FunctionEnvironment): ReturnType<typeof handle> {
  return handle(functionApp(environment, NOT_POSTGRES_ON_LAMBDA));
}

/** The handler Lambda calls: configured from the process's environment. */
export const handler = lambdaHandler({ env: process.env, cwd: process.cwd(), stdout: process.stdout, stderr: process.stderr });
