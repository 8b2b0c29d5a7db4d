// The Vercel function (vercel.json sends every path here): the same routes as `assistant serve`,
// from the built program (`npm run build` is the project's build step), through hono/vercel.
import { handle } from 'hono/vercel';
import { vercelApp } from '../dist/server/vercel-entry.js';

const handler = handle(vercelApp({ env: process.env, cwd: process.cwd(), stdout: process.stdout, stderr: process.stderr }));

export const GET = handler;
export const POST = handler;
export const PUT = handler;
export const PATCH = handler;
export const DELETE = handler;
export const OPTIONS = handler;
export const HEAD = handler;
