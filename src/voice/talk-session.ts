/**
 * The voice loop: listen -> transcribe -> stream the reply (printed, and spoken sentence
 * by sentence while it is generated) -> listen again. Every turn is stored like `ask`'s,
 * with its stage timings. A failed turn is reported and the loop listens again.
 */
import { randomUUID } from 'node:crypto';
import { mkdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import type { ChatModel } from '../chat/chat-model.js';
import type { ResponseCache } from '../cache/response-cache.js';
import type { Player } from '../audio/player.js';
import { encodeWav } from '../audio/wav.js';
import { runExchange, type ExchangeDependencies, type ExchangeRequest, type ExchangeResult } from '../conversation/exchange.js';
import { errorMessage } from '../errors.js';
import type { Synthesizer, Transcriber } from '../speech/speech-models.js';
import type { Store, TurnTimings } from '../store/store.js';
import { timeToFirstAudio } from '../store/turn-timings.js';
import { markup, type Terminal } from '../ui/terminal.js';
import type { Keyboard } from './keyboard.js';
import type { Heard, TurnInput } from './listeners.js';
import { ReplySpeaker } from './reply-speaker.js';
import type { VoiceSettings } from './speech-queue.js';
import type { StatusLine } from './status-line.js';
import { transcribeCached } from './transcribe.js';
import { resourceUse } from '../observability/resource-use.js';

export interface TalkDependencies {
  store: Store;
  chatModel: ChatModel;
  cache: ResponseCache;
  guard?: ExchangeDependencies['guard'];
  /** Needed when the input is a microphone. */
  transcriber: Transcriber | undefined;
  /** Undefined when muted. */
  speech: { synthesizer: Synthesizer; player: Player; settings: VoiceSettings } | undefined;
  input: TurnInput;
  terminal: Terminal;
  status: StatusLine;
  keyboard: Keyboard | undefined;
  now?: () => number;
}

export interface TalkSettings {
  sessionId: string;
  model: string;
  system: string | undefined;
  temperature: number | undefined;
  contextBudgetTokens: number;
  answerCache: ExchangeRequest['answerCache'];
  owner: string;
  sttModel: string;
  language: string | undefined;
  verbose: boolean;
  keepAudioDirectory: string | undefined;
  /** Print typed input back as "You: ..." (when it was piped, not typed on the terminal). */
  echoTyped: boolean;
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

  constructor(
    private readonly dependencies: TalkDependencies,
    private readonly settings: TalkSettings,
  ) {
    this.now = dependencies.now ?? Date.now;
  }

  get turnCount(): number {
    return this.turns;
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

  /** Space or Enter during an answer: stop it and listen again. */
  stopAnswer(): void {
    this.turn?.abort();
  }

  /** Ctrl-D, end of input, SIGTERM: finish the turn in progress (stored as interrupted) and stop. */
  end(): void {
    this.turn?.abort();
    this.ending.abort();
  }

  async run(): Promise<void> {
    const { input, keyboard } = this.dependencies;
    const unsubscribe = keyboard?.onKey((key) => {
      if (key === 'space' || key === 'enter') this.stopAnswer();
      else if (key === 'ctrl-d') this.end();
    });
    try {
      while (!this.ending.signal.aborted) {
        input.resume();
        const heard = await input.listen(this.ending.signal);
        if (!heard || this.ending.signal.aborted) break;
        input.pause();
        await this.runTurn(heard);
      }
    } finally {
      unsubscribe?.();
      this.dependencies.status.clear();
      await input.close();
    }
  }

  private async runTurn(heard: Heard): Promise<void> {
    const { terminal, status, store } = this.dependencies;
    const turn = new AbortController();
    this.turn = turn;
    const turnKey = randomUUID();
    const cpuAtStart = process.cpuUsage();
    const timings: TurnTimings = heard.kind === 'voice' ? { speechEndedAt: heard.speechEndedAt, endpointAt: heard.endpointAt } : { speechEndedAt: heard.at };
    let speaker: ReplySpeaker | undefined;
    try {
      const text = heard.kind === 'voice' ? await this.transcribe(heard.pcm, turn.signal, turnKey) : heard.text;
      if (text === undefined) return;
      timings.transcriptAt = this.now();
      status.clear();
      const style = terminal.answerStyle;
      if (heard.kind === 'voice' || this.settings.echoTyped) terminal.line(markup`${style.cyan.bold('You:')} ${text}`);
      status.set('thinking');
      // The label goes out with the first words: the status line shares this terminal line until then.
      const label = style.green.bold('Assistant:');
      const answer = terminal.untrustedWriter();

      const voice = this.speaker(turn.signal, timings, turnKey);
      speaker = voice;
      let first = true;
      const result = await runExchange(
        { store, chatModel: this.dependencies.chatModel, cache: this.dependencies.cache, guard: this.dependencies.guard },
        {
          sessionId: this.settings.sessionId, userText: text, model: this.settings.model, system: this.settings.system, temperature: this.settings.temperature,
          stream: true, turnKey, contextBudgetTokens: this.settings.contextBudgetTokens, answerCache: this.settings.answerCache, owner: this.settings.owner,
        },
        {
          signal: turn.signal,
          onText: (delta) => {
            if (first) {
              timings.firstTokenAt = this.now();
              status.clear();
              terminal.write(markup`${label} `);
              first = false;
            }
            answer.write(delta);
            voice?.text(delta);
          },
          ...(voice ? { beforeStore: (outcome) => voice.settle(outcome) } : {}),
        },
      );
      if (voice) timings.audioDoneAt = this.now();
      answer.end();
      status.clear();
      terminal.line(first ? label : '');
      this.report(result, voice?.failure);
      this.turns += 1;
      await store.recordTurn({
        sessionId: this.settings.sessionId,
        turnKey,
        ...resourceUse(cpuAtStart),
        userMessageId: result.userMessageId,
        assistantMessageId: result.assistantMessageId,
        input: heard.kind,
        status: result.status,
        timings,
      });
      if (this.settings.verbose) terminal.note(describeTimings(timings));
    } catch (error) {
      status.clear();
      terminal.error(`${errorMessage(error)} Listening again.`);
    } finally {
      // Whatever ended the turn, its voice ends with it: the next turn starts in silence.
      await speaker?.stop();
      this.turn = undefined;
    }
  }

  /** The transcript, or undefined when nothing was said (listen again). */
  private async transcribe(pcm: Buffer, signal: AbortSignal, turnKey: string): Promise<string | undefined> {
    const { transcriber, cache, status, terminal } = this.dependencies;
    if (!transcriber) throw new Error('no transcriber configured');
    status.set('transcribing');
    const wav = encodeWav(pcm);
    if (this.settings.keepAudioDirectory) {
      mkdirSync(this.settings.keepAudioDirectory, { recursive: true, mode: 0o700 });
      writeFileSync(join(this.settings.keepAudioDirectory, `${this.settings.sessionId}-${this.turns + 1}-${this.now()}.wav`), wav, { mode: 0o600 });
    }
    const trace = { sessionId: this.settings.sessionId, turnKey };
    const { text } = await transcribeCached(wav, 'speech.wav', { transcriber, cache, model: this.settings.sttModel, language: this.settings.language, signal, trace });
    if (text === '') {
      status.clear();
      terminal.note('(heard nothing; listening again)');
      return undefined;
    }
    return text;
  }

  private speaker(signal: AbortSignal, timings: TurnTimings, turnKey: string): ReplySpeaker | undefined {
    const speech = this.dependencies.speech;
    if (!speech) return undefined;
    return new ReplySpeaker({
      ...speech,
      trace: { sessionId: this.settings.sessionId, turnKey },
      cache: this.dependencies.cache,
      signal,
      now: this.now,
      onFirstSentence: () => (timings.firstSentenceAt = this.now()),
      onFirstAudio: () => {
        timings.firstAudioAt = this.now();
        this.dependencies.status.clear();
      },
    });
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
