/** `assistant say`: its options and help. The command itself is say.ts. */
import { addTextToSpeechEngineOptions, speechEngineFlags, type SpeechEngineOptionValues } from './conversation-options.js';
import { examples, type CommandDefinition } from './definition.js';

interface SayOptionValues extends SpeechEngineOptionValues {
  out?: string;
  player?: string;
  voice?: string;
  speed?: string;
  ttsModel?: string;
  cache?: boolean;
}

const EXAMPLES = examples([
  'assistant say "The build is green."',
  'assistant say "Welcome" --out welcome.wav',
  'assistant say --tts espeak "No server needed."',
  'assistant history -s work --last | assistant say',
]);

export const defineSay: CommandDefinition = (program, run) => {
  const command = program
    .command('say')
    .description('speak text aloud, or save the speech as a WAV file (the same voice and speech cache as talk)')
    .argument('[text...]', 'what to say (or pipe it in)')
    .option('-o, --out <file>', 'write the speech to this WAV file instead of playing it')
    .option('--player <command>', 'play (SoX), paplay, pacat, aplay, ffplay, or a file player such as afplay (env ASSISTANT_PLAYER, default play)')
    .option('--voice <name>', 'text-to-speech voice (env ASSISTANT_VOICE, default alloy)')
    .option('--speed <n>', 'speaking speed, 0.25 to 4 (env ASSISTANT_SPEED, default 1)')
    .option('--tts-model <name>', 'text-to-speech model (env ASSISTANT_TTS_MODEL, default gpt-4o-mini-tts)')
    .option('--no-cache', 'neither read nor write the speech cache');
  addTextToSpeechEngineOptions(command)
    .addHelpText('after', EXAMPLES)
    .action((text: string[], options: SayOptionValues) =>
      run({ player: options.player, voice: options.voice, speed: options.speed, ttsModel: options.ttsModel, ...speechEngineFlags(options) }, async (context) =>
        (await import('./say.js')).say({ text, ...(options.out !== undefined ? { out: options.out } : {}), cache: options.cache !== false }, context),
      ),
    );
};
