/**
 * The voice loop: listen -> the turn (transcribe, stream the reply, printed and spoken
 * sentence by sentence while it is generated, stored with its timings) -> listen again.
 * A failed turn is reported and the loop listens again. Keys and signals reach it as
 * intents (src/voice/intents.ts).
 */
import { mkdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import type { ChatModel } from '../chat/chat-model.js';
import type { ResponseCache } from '../cache/response-cache.js';
import { encodeWav } from '../audio/wav.js';
import { runTurn, type TurnDependencies, type TurnInput, type TurnRequest, type Voice } from '../conversation/turn.js';
import type { ExchangeResult } from '../conversation/exchange.js';
import { errorMessage } from '../errors.js';
import type { Transcriber } from '../speech/speech-models.js';
import type { TurnTimings } from '../store/store.js';
import { timeToFirstAudio } from '../store/turn-timings.js';
import { markup, type Terminal } from '../ui/terminal.js';
import type { Intent } from './intents.js';
import type { Heard, Listener, Pause } from './listeners.js';
import { Speculation } from './speculation.js';
import type { StatusLine } from './status-line.js';
import { trailingWindowFor } from './turn-end-rules.js';

export interface TalkDependencies {
  store: TurnDependencies['store'];
  chatModel: ChatModel;
  cache: ResponseCache;
  guard?: TurnDependencies['guard'];
  /** Needed when the input is a microphone. */
  transcriber: Transcriber | undefined;
  /** Undefined when muted. */
  voice: Voice | undefined;
  input: Listener;
  terminal: Terminal;
  status: StatusLine;
  now?: () => number;
}

export interface TalkSettings {
  sessionId: string;
  model: string;
  system: string | undefined;
  temperature: number | undefined;
  contextBudgetTokens: number;
  answerCache: TurnRequest['answerCache'];
  owner: string;
  sttModel: string;
  language: string | undefined;
  verbose: boolean;
  keepAudioDirectory: string | undefined;
  /** Print typed input back as "You: ..." (when it was piped, not typed on the terminal). */
  echoTyped: boolean;
  /** Start the turn during a pause (see speculation.ts); --no-speculate turns it off. */
  speculate: boolean;
  /**
   * The word-aware end (turn-end-rules.ts): the trailing silence for unfinished words, for the
   * undecided (--silence) and for a complete question or command. Needs the speculative transcript.
   */
  turnEnd: { unfinishedMilliseconds: number; undecidedMilliseconds: number; completeMilliseconds: number } | undefined;
}

/** What Ctrl-C did. */
export type InterruptOutcome = 'stopped-answer' | 'ended-session' | 'exit-now';

const DOUBLE_PRESS_MILLISECONDS = 1500;

export class TalkSession {
  private readonly ending = new AbortController();
  private turn: AbortController | undefined;
  private lastInterruptAt = -Infinity;
  private turns = 0;
  private readonly now: () => number;
  /** The speculative start of the pause the person is in, if any. */
  private speculation: { pauseId: number; work: Speculation } | undefined;
  /** Speculations being discarded: awaited before the session ends, so no request outlives it. */
  private readonly discarding = new Set<Promise<void>>();

  constructor(
    private readonly dependencies: TalkDependencies,
    private readonly settings: TalkSettings,
  ) {
    this.now = dependencies.now ?? Date.now;
  }

  get turnCount(): number {
    return this.turns;
  }

  /** Acts on what a key or a signal asks (see intents.ts); says what Ctrl-C did. */
  apply(intent: Intent): InterruptOutcome | undefined {
    if (intent === 'interrupt') return this.interrupt();
    if (intent === 'stop-answer') this.turn?.abort();
    else this.end();
    return undefined;
  }

  /** Ctrl-C: stops the answer in progress; at the prompt, ends the session; twice quickly, exits. */
  interrupt(): InterruptOutcome {
    const now = this.now();
    const quick = now - this.lastInterruptAt < DOUBLE_PRESS_MILLISECONDS;
    this.lastInterruptAt = now;
    if (quick) return 'exit-now';
    if (this.turn && !this.turn.signal.aborted) {
      this.turn.abort();
      return 'stopped-answer';
    }
    this.end();
    return 'ended-session';
  }

  /** Ctrl-D, end of input, SIGTERM: finish the turn in progress (stored as interrupted) and stop. */
  end(): void {
    this.turn?.abort();
    this.ending.abort();
  }

  /** The person paused, maybe at the end of the turn: start it speculatively (never while a turn runs). */
  paused(pause: Pause): void {
    const { transcriber, store, chatModel, guard, voice } = this.dependencies;
    this.dropSpeculation();
    if (!this.settings.speculate || !transcriber || this.turn || this.ending.signal.aborted) return;
    const settings = this.settings;
    const work = Speculation.start(
      { transcriber, store, chatModel, guard, voice },
      {
        sessionId: settings.sessionId, model: settings.model, system: settings.system, temperature: settings.temperature,
        contextBudgetTokens: settings.contextBudgetTokens, sttModel: settings.sttModel, language: settings.language,
      },
      encodeWav(pause.pcm),
      { onTranscript: (text) => this.listenToWords(pause.id, text) },
    );
    this.speculation = { pauseId: pause.id, work };
  }

  /** The person spoke on after the pause: what was started for it is aborted. */
  resumed(): void {
    this.dropSpeculation();
  }

  /** The words so far move the end of the turn (longer when unfinished, shorter when complete). */
  private listenToWords(pauseId: number, text: string): void {
    const turnEnd = this.settings.turnEnd;
    if (!turnEnd || this.speculation?.pauseId !== pauseId) return;
    this.dependencies.input.setTrailingSilence?.(trailingWindowFor(text, turnEnd, this.settings.language), pauseId);
  }

  private dropSpeculation(): void {
    const dropped = this.speculation?.work;
    this.speculation = undefined;
    if (!dropped) return;
    const discarded = dropped.discard().finally(() => this.discarding.delete(discarded));
    this.discarding.add(discarded);
  }

  async run(): Promise<void> {
    const { input } = this.dependencies;
    try {
      while (!this.ending.signal.aborted) {
        input.resume();
        const heard = await input.listen(this.ending.signal);
        if (!heard || this.ending.signal.aborted) break;
        input.pause();
        await this.runTurn(heard);
      }
    } finally {
      this.dependencies.status.clear();
      await input.close();
      this.dropSpeculation();
      while (this.discarding.size > 0) await Promise.all(this.discarding);
    }
  }

  private async runTurn(heard: Heard): Promise<void> {
    const { terminal, status } = this.dependencies;
    const settings = this.settings;
    const turn = new AbortController();
    this.turn = turn;
    const style = terminal.answerStyle;
    const you = (text: string): void => {
      status.clear();
      terminal.line(markup`${style.cyan.bold('You:')} ${text}`);
    };
    // The label goes out with the first words: the status line shares this terminal line until then.
    const label = style.green.bold('Assistant:');
    const answer = terminal.untrustedWriter();
    let first = true;
    // The utterance ended in the pause that was started speculatively (no speech since): the turn takes that work.
    const speculation = heard.kind === 'voice' && heard.pauseId !== undefined && this.speculation?.pauseId === heard.pauseId ? this.speculation.work : undefined;
    if (speculation) this.speculation = undefined;
    else this.dropSpeculation();
    const dependencies = { ...this.dependencies, now: this.now };
    try {
      if (heard.kind === 'text' && settings.echoTyped) you(heard.text);
      const outcome = await runTurn(
        speculation ? speculation.serve(dependencies, turn.signal) : dependencies,
        {
          sessionId: settings.sessionId, model: settings.model, system: settings.system, temperature: settings.temperature, stream: true,
          contextBudgetTokens: settings.contextBudgetTokens, answerCache: settings.answerCache, owner: settings.owner,
          sttModel: settings.sttModel, language: settings.language, keep: 'heard', turnKey: speculation?.turnKey,
        },
        this.said(heard),
        {
          onStage: (stage) => status.set(stage),
          onHeard: you,
          onText: (delta) => {
            if (first) {
              status.clear();
              terminal.write(markup`${label} `);
              first = false;
            }
            answer.write(delta);
          },
          onFirstAudio: () => status.clear(),
        },
        turn.signal,
      );
      answer.end();
      status.clear();
      if (outcome.kind === 'unheard') {
        terminal.note(outcome.reason === 'no-words' ? '(heard nothing; listening again)' : '(interrupted)');
        return;
      }
      terminal.line(first ? label : '');
      this.report(outcome.result, outcome.speechFailure);
      this.turns += 1;
      if (settings.verbose) terminal.note(`${describeTimings(outcome.timings)}${speculation?.used ? ' · started during the pause' : ''}`);
    } catch (error) {
      status.clear();
      terminal.error(`${errorMessage(error)} Listening again.`);
    } finally {
      // What the turn did not take (a clip, a chat it asked again for) is aborted now.
      await speculation?.discard();
      this.turn = undefined;
    }
  }

  /** What was heard, as the turn takes it; the utterance is kept on disk first with --keep-audio. */
  private said(heard: Heard): TurnInput {
    if (heard.kind === 'text') return { kind: 'text', text: heard.text, at: heard.at };
    const wav = encodeWav(heard.pcm);
    const directory = this.settings.keepAudioDirectory;
    if (directory) {
      mkdirSync(directory, { recursive: true, mode: 0o700 });
      writeFileSync(join(directory, `${this.settings.sessionId}-${this.turns + 1}-${this.now()}.wav`), wav, { mode: 0o600 });
    }
    return { kind: 'voice', audio: wav, filename: 'speech.wav', speechEndedAt: heard.speechEndedAt, endpointAt: heard.endpointAt };
  }

  private report(result: ExchangeResult, speechFailure: unknown): void {
    const { terminal } = this.dependencies;
    if (result.status === 'interrupted') terminal.note('(interrupted)');
    if (result.status === 'error') terminal.error(`${errorMessage(result.error)} Your words were saved; listening again.`);
    if (speechFailure !== undefined) terminal.error(`Speaking failed: ${errorMessage(speechFailure)}`);
  }
}

export function describeTimings(timings: TurnTimings): string {
  const start = timings.speechEndedAt;
  const since = (at: number | undefined): string => (at === undefined || start === undefined ? '-' : `${Math.round(at - start)} ms`);
  const firstAudio = timeToFirstAudio(timings);
  return [
    `transcript ${since(timings.transcriptAt)}`,
    `first token ${since(timings.firstTokenAt)}`,
    `first sentence ${since(timings.firstSentenceAt)}`,
    `first audio ${since(timings.firstAudioAt)}`,
    `done ${since(timings.audioDoneAt)}`,
    `time to first audio ${firstAudio === undefined ? '-' : `${(firstAudio / 1000).toFixed(2)} s`}`,
  ].join(' · ');
}
