// The Vercel function (vercel.json sends every path here): the same routes as `assistant serve`,
// from the built program (`npm run build` is the project's build step). Vercel's Node.js runtime
// calls a default export's `fetch` with a Web Request and sends back the Response: the app is
// Web-standard already, so no adapter sits in between (`hono/vercel` is deprecated, and
// `@hono/node-server/vercel` is gone from @hono/node-server 2).
import { vercelApp } from '../dist/server/vercel-entry.js';

const app = vercelApp({ env: process.env, cwd: process.cwd(), stdout: process.stdout, stderr: process.stderr });

export default { fetch: (request) => app.fetch(request) };
