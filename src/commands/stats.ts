/** `assistant stats` (latency, errors, cache, cost, resources, database size) and `assistant log` (the raw request log). */
import { ExitCode, usageError, type ExitCodeValue } from '../errors.js';
import { computeStats, isAborted, isError, parseSince, type Distribution, type StatsReport } from '../observability/stats.js';
import { validateSessionId } from '../session-id.js';
import { bar, histogram } from '../ui/charts.js';
import { formatBytes, formatTable, formatTime } from '../ui/format.js';
import { markup, type Printable, type Terminal } from '../ui/terminal.js';
import type { CommandContext } from './context.js';

export interface StatsOptions {
  since: string;
  session?: string;
  model?: string;
  /** Only the calls made for this personal token (serve). */
  token?: string;
  json: boolean;
}

/** Targets: an average over this is flagged, as is an error rate over ERROR_RATE_TARGET. */
const LATENCY_TARGET_MS = 3000;
const ERROR_RATE_TARGET = 0.01;

export async function stats(options: StatsOptions, context: CommandContext): Promise<ExitCodeValue> {
  const since = parseSince(options.since, Date.now());
  if (Number.isNaN(since)) throw usageError(`--since takes 24h, 7d, 30d, all, or a number with h or d (got ${JSON.stringify(options.since)}).`);
  if (options.session !== undefined) validateSessionId(options.session);
  const store = await context.openStore();
  await context.requestLog.flush();
  const filter = { since, sessionId: options.session, model: options.model, token: options.token };
  const report = computeStats({
    requests: await store.requests(filter),
    // Turns are not kept per model or token: with those filters, turn times are left out rather than mixed in.
    turns: options.model === undefined && options.token === undefined ? await store.turnsMatching(filter) : [],
    size: await store.size(),
    description: store.description,
    since,
    prices: context.config.values.prices,
  });
  if (options.json) {
    context.terminal.json(report);
    return ExitCode.Success;
  }
  render(report, options, context.terminal);
  return ExitCode.Success;
}

function render(report: StatsReport, options: StatsOptions, terminal: Terminal): void {
  const style = terminal.answerStyle;
  const pictures = terminal.stdoutIsTTY;
  const out = (text: Printable = ''): void => terminal.line(text);
  const scope = [options.session ? `session ${options.session}` : '', options.model ? `model ${options.model}` : '', options.token ? `token ${options.token}` : ''].filter(Boolean).join(', ');
  out(style.bold(`${options.since === 'all' ? 'All time' : `Last ${options.since}`}${scope ? ` (${scope})` : ''}`));
  out();

  const { total, errors, aborted, errorRate, topErrors } = report.requests;
  const rate = `${(errorRate * 100).toFixed(1)}%`;
  // Requests you stopped yourself are not errors; they are counted apart (and left out of the rate).
  out(markup`Requests ${total}, errors ${errors} (${errorRate > ERROR_RATE_TARGET ? style.red(rate) : rate})${aborted > 0 ? `, aborted ${aborted}` : ''}`);
  if (topErrors.length > 0) out(`  top errors: ${topErrors.map((error) => `${error.errorClass} ${error.count}`).join(', ')}`);
  out();

  const stages: Array<[string, Distribution]> = [
    ['transcription', report.latency.transcription],
    ['first token', report.latency.firstToken],
    ['whole reply', report.latency.wholeReply],
    ['speech 1st byte', report.latency.speechFirstByte],
    ['time to 1st audio', report.latency.timeToFirstAudio],
  ];
  const seconds = (value: number | null): string => (value === null ? '-' : value < 1000 ? `${Math.round(value)} ms` : `${(value / 1000).toFixed(2)} s`);
  const latencyRows = stages.map(([name, stage]) => {
    const average = seconds(stage.average);
    const row = [name, stage.average !== null && stage.average > LATENCY_TARGET_MS ? style.red(average) : average, seconds(stage.p50), seconds(stage.p95), seconds(stage.max), String(stage.count)];
    return pictures ? [...row, histogram(stage.values)] : row;
  });
  out(formatTable(['LATENCY', 'AVG', 'P50', 'P95', 'MAX', 'N', ...(pictures ? ['SPREAD (0..MAX)'] : [])], latencyRows, new Set([1, 2, 3, 4, 5])));
  out();

  const money = (dollars: number | null): string =>
    dollars === null ? 'price unknown' : dollars === 0 ? '$0' : dollars < 0.01 ? `$${dollars.toFixed(6)}` : `$${dollars.toFixed(4)}`;
  const cacheRows = report.cache.map((kind) => [kind.kind, String(kind.hits), String(kind.misses), kind.hitRate === null ? '-' : `${Math.round(kind.hitRate * 100)}%`, kind.hits === 0 ? '-' : money(kind.savedDollars)]);
  out(formatTable(['CACHE', 'HITS', 'MISSES', 'HIT RATE', 'SAVED'], cacheRows, new Set([1, 2, 3])));
  out();

  if (report.models.length > 0) {
    const modelRows = report.models.map((model) => [
      model.model,
      String(model.requests),
      model.inputTokens.toLocaleString('en-US'),
      model.outputTokens.toLocaleString('en-US'),
      money(model.dollars),
    ]);
    out(formatTable(['MODEL', 'REQUESTS', 'TOKENS IN', 'TOKENS OUT', 'COST'], modelRows, new Set([1, 2, 3])));
    const unknown = report.unpricedModels.length > 0 ? `; no price for ${report.unpricedModels.join(', ')} (set "prices" in the config)` : '';
    out(`Total ${money(report.totalDollars)} at list prices as of ${report.pricesAsOf}${unknown}`);
    out();
  }

  if (pictures && report.dailyDollars.length > 0) {
    const most = Math.max(...report.dailyDollars.map((day) => day.dollars));
    out('Daily cost');
    for (const day of report.dailyDollars.slice(-14)) out(`  ${day.day} ${bar(day.dollars, most, 40).padEnd(40)} ${money(day.dollars)}`);
    out();
  }

  const { cpuMilliseconds, peakRssBytes } = report.turns;
  const megabytes = (bytes: number | null): string => (bytes === null ? '-' : formatBytes(bytes));
  out(`Turns ${report.turns.count}: CPU p50 ${seconds(cpuMilliseconds.p50)}, max ${seconds(cpuMilliseconds.max)}; peak memory p50 ${megabytes(peakRssBytes.p50)}, max ${megabytes(peakRssBytes.max)}`);
  const speculation = report.speculation;
  if (speculation.started > 0) {
    const extra = speculation.extraTranscriptionsPerTurn === null ? '-' : speculation.extraTranscriptionsPerTurn.toFixed(2);
    out(`Speculative starts ${speculation.started}: used ${speculation.used}, discarded ${speculation.discarded} (${extra} extra transcriptions per turn)`);
  }
  const rows = Object.entries(report.database.rows).map(([table, count]) => `${table} ${count}`).join(', ');
  out(`Database ${Number.isFinite(report.database.bytes) ? formatBytes(report.database.bytes) : '-'}: ${rows}`);
  out(`  ${report.database.description}`);
}

export interface LogOptions {
  limit: number;
  /** Only the calls made for this personal token (serve). */
  token?: string;
  errors: boolean;
  json: boolean;
}

export async function log(options: LogOptions, context: CommandContext): Promise<ExitCodeValue> {
  if (!Number.isInteger(options.limit) || options.limit < 1) throw usageError('--limit must be a whole number of at least 1.');
  const store = await context.openStore();
  await context.requestLog.flush();
  // One definition of a failure (isError, as in stats): the store's filter also returns what the user stopped.
  const requests = options.errors
    ? (await store.requests({ errorsOnly: true, token: options.token })).filter(isError).slice(0, options.limit)
    : await store.requests({ limit: options.limit, token: options.token });
  if (options.json) {
    context.terminal.json(requests.map((request) => ({ ...request, at: new Date(request.at).toISOString() })));
    return ExitCode.Success;
  }
  if (requests.length === 0) {
    context.terminal.note(options.errors ? 'No failed requests.' : 'No requests logged yet.');
    return ExitCode.Success;
  }
  const style = context.terminal.answerStyle;
  const rows = requests.map((request) => [
    formatTime(new Date(request.at), { seconds: true }),
    request.endpoint,
    request.model ?? '-',
    request.cached ? 'cache' : isAborted(request) ? 'aborted' : isError(request) ? style.red(request.errorClass ?? String(request.status)) : String(request.status ?? '-'),
    String(request.attempt),
    request.latencyMs === undefined ? '-' : `${request.latencyMs} ms`,
    request.inputTokens === undefined && request.outputTokens === undefined ? '-' : `${request.inputTokens ?? '-'}/${request.outputTokens ?? '-'}`,
    request.requestId ?? '-',
  ]);
  context.terminal.line(formatTable(['TIME', 'ENDPOINT', 'MODEL', 'STATUS', 'TRY', 'LATENCY', 'TOKENS', 'REQUEST ID'], rows, new Set([4, 5])));
  return ExitCode.Success;
}
