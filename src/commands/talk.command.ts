/** `assistant talk`: its options and help. The command itself is talk.ts. */
import {
  addModelOptions,
  addSessionOptions,
  addSpeechEngineOptions,
  modelFlags,
  sessionChoice,
  speechEngineFlags,
  type ModelOptionValues,
  type SessionOptionValues,
  type SpeechEngineOptionValues,
} from './conversation-options.js';
import { examples, type CommandDefinition } from './definition.js';

interface TalkOptionValues extends SessionOptionValues, ModelOptionValues, SpeechEngineOptionValues {
  text?: boolean;
  mute?: boolean;
  pushToTalk?: boolean;
  bargeIn?: boolean;
  device?: string;
  player?: string;
  voice?: string;
  speed?: string;
  sttModel?: string;
  ttsModel?: string;
  language?: string;
  silence?: string;
  pause?: string;
  unfinishedSilence?: string;
  completeSilence?: string;
  speculate?: boolean;
  keepAudio?: string;
  cache?: boolean;
  verbose?: boolean;
  raw?: boolean;
}

const EXAMPLES = examples(
  [
    'assistant talk                         speak; the answer is printed and spoken',
    'assistant talk -c                      continue the last session by voice',
    'assistant talk --text --mute           type instead of speaking, read instead of listening',
    'assistant talk --push-to-talk          Enter starts and stops recording',
    'assistant talk --device pulseaudio:my_mic --player paplay --verbose',
    "assistant talk --tts espeak --stt-command 'whisper-cli -m ggml-base.en.bin -f {file} -nt'   no cloud",
  ],
  `While it answers: Space or Enter stops the answer and listens again (with --text: Enter or
Esc); Ctrl-C stops the answer; Ctrl-C twice quickly exits at once. While listening, Ctrl-C or
Ctrl-D ends the session. With --text on a terminal: line editing, Up for earlier questions,
and a paste of several lines is one message.
Needs SoX for the microphone (Debian/Ubuntu: sudo apt install sox libsox-fmt-all; macOS: brew install sox).`,
);

export const defineTalk: CommandDefinition = (program, run) => {
  const command = program.command('talk').description('a spoken conversation: listen, transcribe, answer aloud while it is written, listen again');
  addSessionOptions(command);
  command
    .option('--text', 'type instead of speaking (no microphone needed); see also `assistant chat`')
    .option('--mute', 'print replies without speaking them')
    .option('--push-to-talk', 'press Enter to start and stop recording instead of automatic end of speech')
    .option('--barge-in', 'speaking interrupts the answer (use headphones, or it hears itself)')
    .option(
      '--device <name>',
      'microphone for SoX: driver:name (pulseaudio:mic) or an AUDIODEV name (env ASSISTANT_DEVICE); a file (wav:questions.wav) is answered utterance by utterance, and its end ends the session',
    )
    .option('--player <command>', 'play (SoX), paplay, pacat, aplay, ffplay, or a file player such as afplay (env ASSISTANT_PLAYER, default play)')
    .option('--voice <name>', 'text-to-speech voice (env ASSISTANT_VOICE, default alloy)')
    .option('--speed <n>', 'speaking speed, 0.25 to 4 (env ASSISTANT_SPEED, default 1)')
    .option('--stt-model <name>', 'speech-to-text model (env ASSISTANT_STT_MODEL, default gpt-4o-mini-transcribe)')
    .option('--tts-model <name>', 'text-to-speech model (env ASSISTANT_TTS_MODEL, default gpt-4o-mini-tts)')
    .option('--language <code>', 'language hint for transcription, e.g. en (env ASSISTANT_LANGUAGE)')
    .option('--silence <ms>', 'silence that ends your turn, in milliseconds (env ASSISTANT_SILENCE_MS, default 700)')
    .option('--pause <ms>', 'a pause after which the answer is prepared (not spoken) in case you are done, in milliseconds (env ASSISTANT_PAUSE_MS, default 200)')
    .option('--unfinished-silence <ms>', 'silence that ends your turn when your words are unfinished ("and", "the", a comma), in milliseconds (env ASSISTANT_UNFINISHED_SILENCE_MS, default 1200)')
    .option('--complete-silence <ms>', 'silence that ends a complete question or command, in milliseconds (env ASSISTANT_COMPLETE_SILENCE_MS, default 700)')
    .option('--no-speculate', 'do not prepare the answer during pauses (fewer transcription calls; the end of your turn no longer listens to the words)');
  addModelOptions(command);
  addSpeechEngineOptions(command);
  command
    .option('--keep-audio <dir>', 'save each recorded utterance as a WAV file in dir')
    .option('--cache', 'answer from the cache when a question was answered before (by default only with -t 0)')
    .option('--no-cache', 'neither read nor write any cache (answers, speech, transcriptions)')
    .option('--verbose', "print each turn's stage timings (transcript, first token, first audio...)")
    .option('--raw', 'print answers as the model wrote them; on a terminal their markdown is drawn otherwise (never when piped)')
    .addHelpText('after', EXAMPLES)
    .action((options: TalkOptionValues) =>
      run(
        {
          ...modelFlags(options),
          ...speechEngineFlags(options),
          device: options.device,
          player: options.player,
          voice: options.voice,
          speed: options.speed,
          sttModel: options.sttModel,
          ttsModel: options.ttsModel,
          language: options.language,
          silenceMilliseconds: options.silence,
          pauseMilliseconds: options.pause,
          unfinishedSilenceMilliseconds: options.unfinishedSilence,
          completeSilenceMilliseconds: options.completeSilence,
        },
        async (context) =>
          (await import('./talk.js')).talk(
            {
              ...sessionChoice(options),
              text: options.text === true,
              mute: options.mute === true,
              pushToTalk: options.pushToTalk === true,
              bargeIn: options.bargeIn === true,
              ...(options.keepAudio !== undefined ? { keepAudio: options.keepAudio } : {}),
              verbose: options.verbose === true,
              speculate: options.speculate !== false,
              cache: options.cache,
              raw: options.raw === true,
            },
            context,
          ),
      ),
    );
};
