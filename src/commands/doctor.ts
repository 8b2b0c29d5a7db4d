/**
 * `assistant doctor`: checks what `ask` and `talk` need, one line each (ok / warning /
 * problem, what was found, and the fix), and exits 1 when something is a problem. Every
 * check runs under a time bound (src/doctor/check.ts), so doctor answers even when a device
 * or a server does not.
 */
import type { Player } from '../audio/player.js';
import type { Recorder } from '../audio/recorder.js';
import type { Clock } from '../clock.js';
import type { Config } from '../config.js';
import { checkApi } from '../doctor/api.js';
import { runBounded, type BoundedCheck, type CheckResult, type CheckStatus } from '../doctor/check.js';
import { checkDotenv } from '../doctor/dotenv.js';
import type { Endpoint, Fetch } from '../doctor/http.js';
import { checkMicrophone } from '../doctor/microphone.js';
import { checkNodeVersion } from '../doctor/node-version.js';
import { checkPlayer } from '../doctor/player.js';
import type { RunCommand } from '../doctor/run-command.js';
import { checkSox } from '../doctor/sox.js';
import { checkSpeechToText, checkTextToSpeech } from '../doctor/speech.js';
import { checkStore } from '../doctor/store.js';
import { ExitCode, type ExitCodeValue } from '../errors.js';
import { scrub, secretsOf } from '../secrets.js';
import type { Store } from '../store/store.js';
import { markup, type Style, type Terminal } from '../ui/terminal.js';

export interface DoctorDependencies {
  config: Config;
  env: NodeJS.ProcessEnv;
  cwd: string;
  terminal: Terminal;
  clock: Clock;
  fetch: Fetch;
  runCommand: RunCommand;
  findExecutable(name: string, env: NodeJS.ProcessEnv): string | undefined;
  recorder(): Recorder;
  player(): Player;
  openStore(): Promise<Store>;
}

/** Bounds, in milliseconds: a second of audio plus SoX's start; a player's start and 0.2 s of silence; the store's own 10 s connection bound. */
const LIMITS = { sox: 5_000, microphone: 6_000, player: 6_000, store: 15_000 };

export async function runDoctor(options: { json: boolean }, dependencies: DoctorDependencies): Promise<ExitCodeValue> {
  const { terminal } = dependencies;
  const secrets = secretsOf(dependencies.config);
  const results: CheckResult[] = [];
  for (const check of checksOf(dependencies)) {
    if (check.name === 'microphone' && !options.json && terminal.stderrIsTTY) terminal.note('Recording one second from the microphone…');
    const found = (await runBounded(check, dependencies.clock)).map((result) => withoutSecrets(result, secrets));
    results.push(...found);
    if (!options.json) for (const result of found) terminal.line(formatLine(result, terminal.answerStyle));
  }
  const problems = results.filter((result) => result.status === 'problem').length;
  const warnings = results.filter((result) => result.status === 'warning').length;
  if (options.json) terminal.json({ ok: problems === 0, problems, warnings, checks: results });
  else terminal.line(summary(problems, warnings));
  return problems === 0 ? ExitCode.Success : ExitCode.Failure;
}

function checksOf(dependencies: DoctorDependencies): BoundedCheck[] {
  const { config, env } = dependencies;
  const requestLimit = Math.min(config.timeoutSeconds, 10) * 1000;
  const endpoint = (baseURL: string | undefined): Endpoint => ({ baseURL: baseURL ?? config.baseURL, apiKey: config.apiKey });
  const stt = { model: config.sttModel, endpoint: endpoint(config.sttBaseURL) };
  const tts = { model: config.ttsModel, endpoint: endpoint(config.ttsBaseURL), voice: config.voice };
  const chosen = [{ use: 'chat', model: config.model, endpoint: endpoint(undefined) }, { use: 'stt', ...stt }, { use: 'tts', ...tts }];
  const one = (name: string, limitMilliseconds: number, run: (signal: AbortSignal) => Promise<CheckResult> | CheckResult): BoundedCheck => ({
    name,
    limitMilliseconds,
    run: async (signal) => [await run(signal)],
  });
  return [
    one('node', 1_000, () => checkNodeVersion()),
    one('sox', LIMITS.sox, (signal) => checkSox({ env, findExecutable: dependencies.findExecutable, runCommand: dependencies.runCommand, signal })),
    one('microphone', LIMITS.microphone, (signal) => checkMicrophone(dependencies.recorder(), config.device, signal)),
    one('player', LIMITS.player, (signal) => checkPlayer(config.player, dependencies.player, signal)),
    // Each server is asked once per distinct URL; three requests at most.
    { name: 'api', limitMilliseconds: requestLimit * 3, run: (signal) => checkApi(dependencies.fetch, endpoint(undefined), chosen, signal) },
    one('stt', requestLimit, (signal) => checkSpeechToText(dependencies.fetch, stt, signal)),
    one('tts', requestLimit, (signal) => checkTextToSpeech(dependencies.fetch, tts, signal)),
    one('store', LIMITS.store, () => checkStore(dependencies.openStore)),
    one('.env', 1_000, () => checkDotenv(env, dependencies.cwd)),
  ];
}

/** The one door to the output: nothing a check found (a server's model name, a SoX error) may carry the key. */
function withoutSecrets(result: CheckResult, secrets: string[]): CheckResult {
  return { ...result, found: scrub(result.found, secrets), ...(result.fix === undefined ? {} : { fix: scrub(result.fix, secrets) }) };
}

const LABELS: Record<CheckStatus, (style: Style) => ReturnType<Style>> = {
  ok: (style) => style.green('ok'.padEnd(8)),
  warning: (style) => style.yellow('warning'.padEnd(8)),
  problem: (style) => style.red('problem'.padEnd(8)),
};

function formatLine(result: CheckResult, style: Style): ReturnType<typeof markup> {
  // Found texts quoting an error end with their own full stop.
  const found = result.found.replace(/\.+$/, '');
  const fix = result.fix === undefined ? '' : `. Fix: ${result.fix}`;
  return markup`${LABELS[result.status](style)} ${result.name.padEnd(11)} ${found}${fix}`;
}

function summary(problems: number, warnings: number): string {
  if (problems === 0 && warnings === 0) return 'Everything checked is ready.';
  const plural = (count: number, word: string): string => `${count} ${word}${count === 1 ? '' : 's'}`;
  return `${plural(problems, 'problem')}, ${plural(warnings, 'warning')}.`;
}
