/** `assistant transcribe`: its options and help. The command itself is transcribe.ts. */
import { addSpeechToTextEngineOptions, speechEngineFlags, type SpeechEngineOptionValues } from './conversation-options.js';
import { examples, type CommandDefinition } from './definition.js';

interface TranscribeOptionValues extends SpeechEngineOptionValues {
  sttModel?: string;
  language?: string;
  cache?: boolean;
  json?: boolean;
}

const EXAMPLES = examples(
  ['assistant transcribe memo.wav', 'assistant transcribe - < memo.mp3 > memo.txt', 'assistant transcribe memo.wav | assistant ask "make a to-do list"'],
  'Audio that holds no speech (silence, a fan, music) is refused before upload, by the same speech detector as talk.',
);

export const defineTranscribe: CommandDefinition = (program, run) => {
  const command = program
    .command('transcribe')
    .description('print the transcript of an audio file (the same speech-to-text and cache as talk)')
    .argument('<file>', 'the audio file (WAV, MP3, FLAC, OGG...; - for stdin), at most 25 MB')
    .option('--stt-model <name>', 'speech-to-text model (env ASSISTANT_STT_MODEL, default gpt-4o-mini-transcribe)')
    .option('--language <code>', 'language hint for transcription, e.g. en (env ASSISTANT_LANGUAGE)')
    .option('--no-cache', 'neither read nor write the transcription cache')
    .option('--json', 'print JSON: file, text, model, cached');
  addSpeechToTextEngineOptions(command)
    .addHelpText('after', EXAMPLES)
    .action((file: string, options: TranscribeOptionValues) =>
      run({ sttModel: options.sttModel, language: options.language, ...speechEngineFlags(options) }, async (context) =>
        (await import('./transcribe.js')).transcribe({ file, cache: options.cache !== false, json: options.json === true }, context),
      ),
    );
};
