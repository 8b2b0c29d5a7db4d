/** `assistant serve`: its options and help. The command itself is serve() in serve.ts. */
import { examples, type CommandDefinition } from './definition.js';

interface ServeOptionValues {
  host?: string;
  port?: string;
  tlsCert?: string;
  tlsKey?: string;
}

const EXAMPLES = examples(
  [
    'assistant token create --name alice     a personal token, shown once',
    'assistant serve                          http://127.0.0.1:8080',
    'PORT=3000 assistant serve                as platforms start it: every interface, port 3000',
    'curl -H "Authorization: Bearer $TOKEN" -d \'{"text":"hello"}\' http://127.0.0.1:8080/v1/ask',
  ],
  `Routes: POST /v1/ask (JSON, or server-sent events with Accept: text/event-stream),
GET /v1/openapi.json, GET /healthz, GET /readyz. Every /v1 route needs a bearer token.
One JSON line per request on stdout: route, status, latency and token name, never the token.
ENVIRONMENT=production refuses plain HTTP (X-Forwarded-Proto from ASSISTANT_TRUSTED_PROXY_HOPS
proxies, default 1) and sends HSTS; ASSISTANT_CORS_ORIGINS allows browser origins (none by default).`,
);

export const defineServe: CommandDefinition = (program, run) => {
  program
    .command('serve')
    .description('serve the assistant over HTTP for a team: personal tokens, one shared history')
    .option('--host <address>', 'interface to listen on (default 127.0.0.1; 0.0.0.0 when PORT is set)')
    .option('--port <n>', 'port to listen on (env PORT, default 8080; 0 picks a free one)')
    .option('--tls-cert <file>', 'serve HTTPS with this certificate (PEM); behind a platform, it terminates TLS')
    .option('--tls-key <file>', 'the private key of --tls-cert (PEM)')
    .addHelpText('after', EXAMPLES)
    .action((options: ServeOptionValues) =>
      run({}, async (context) =>
        (await import('./serve.js')).serve(
          {
            ...(options.host ? { host: options.host } : {}),
            ...(options.port !== undefined ? { port: Number(options.port) } : {}),
            ...(options.tlsCert !== undefined ? { tlsCert: options.tlsCert } : {}),
            ...(options.tlsKey !== undefined ? { tlsKey: options.tlsKey } : {}),
          },
          context,
        ),
      ),
    );
};
