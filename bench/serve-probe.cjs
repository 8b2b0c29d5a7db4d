/**
 * Preloaded into each `assistant serve` replica by the serve benchmark (node --require this
 * file), so the numbers come from the real server without code in it for the benchmark:
 * every PostgreSQL round trip (pg's Client.query) counted and timed by statement, the wait
 * for a pooled connection, the event loop's delay and the process's CPU time. On SIGUSR2 the
 * totals since the last snapshot are appended as one JSON line to ASSISTANT_BENCH_PROBE_FILE
 * and start again from zero.
 */
const { appendFileSync } = require('node:fs');
const { monitorEventLoopDelay } = require('node:perf_hooks');

const statements = new Map();
let poolWait = { count: 0, ms: 0 };
let cpuAtStart = process.cpuUsage();
/** The histogram's samples are the timer's interval plus the delay: the delay is what is over RESOLUTION_MS. */
const RESOLUTION_MS = 10;
const loopDelay = monitorEventLoopDelay({ resolution: RESOLUTION_MS });
loopDelay.enable();

/** "INSERT INTO messages", "SELECT … FROM tokens", "BEGIN": what a statement is, without its values. */
function labelOf(sql) {
  const text = String(sql ?? '').replace(/\s+/g, ' ').trim();
  const match = /^(INSERT INTO \w+|UPDATE \w+|DELETE FROM \w+|BEGIN|COMMIT|ROLLBACK|WITH \w+)/i.exec(text) ?? /^SELECT .*? FROM (\w+)/i.exec(text);
  if (!match) return text.slice(0, 30);
  return match[0].startsWith('SELECT') ? `SELECT … FROM ${match[1]}` : match[0];
}

function note(label, milliseconds) {
  const entry = statements.get(label) ?? { count: 0, ms: 0 };
  entry.count += 1;
  entry.ms += milliseconds;
  statements.set(label, entry);
}

/** Calls `method` timed, whichever of pg's forms (a callback, or a promise) the caller used. */
function timed(method, onDone) {
  return function (...parameters) {
    const started = performance.now();
    const done = () => onDone(this, parameters, performance.now() - started);
    const last = parameters.length - 1;
    if (typeof parameters[last] === 'function') {
      const callback = parameters[last];
      parameters[last] = (...results) => {
        done();
        return callback(...results);
      };
      return method.apply(this, parameters);
    }
    const result = method.apply(this, parameters);
    if (result && typeof result.then === 'function') result.then(done, done);
    return result;
  };
}

try {
  const pg = require(require.resolve('pg', { paths: [process.env.ASSISTANT_BENCH_MODULES ?? process.cwd()] }));
  pg.Client.prototype.query = timed(pg.Client.prototype.query, (_client, [config], milliseconds) => note(labelOf(typeof config === 'string' ? config : config?.text), milliseconds));
  pg.Pool.prototype.connect = timed(pg.Pool.prototype.connect, (_pool, _parameters, milliseconds) => {
    poolWait.count += 1;
    poolWait.ms += milliseconds;
  });
} catch {
  // SQLite: no round trips to count.
}

function overResolution(nanoseconds) {
  return Math.max(0, nanoseconds / 1e6 - RESOLUTION_MS);
}

process.on('SIGUSR2', () => {
  const cpu = process.cpuUsage(cpuAtStart);
  const snapshot = {
    statements: Object.fromEntries(statements),
    poolWait,
    loopDelayMs: { p50: overResolution(loopDelay.percentile(50)), p99: overResolution(loopDelay.percentile(99)), max: overResolution(loopDelay.max) },
    cpuMs: (cpu.user + cpu.system) / 1000,
  };
  appendFileSync(process.env.ASSISTANT_BENCH_PROBE_FILE, `${JSON.stringify(snapshot)}\n`);
  statements.clear();
  poolWait = { count: 0, ms: 0 };
  cpuAtStart = process.cpuUsage();
  loopDelay.reset();
});
