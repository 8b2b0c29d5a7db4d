/** `assistant doctor`: its options and help. The command itself is runDoctor() in doctor.ts. */
import { examples, type CommandDefinition } from './definition.js';

interface DoctorOptionValues {
  json?: boolean;
  device?: string;
  player?: string;
  model?: string;
  sttModel?: string;
  ttsModel?: string;
}

const HELP = examples(
  ['assistant doctor', 'assistant doctor --device pulseaudio:my_mic --player paplay', 'assistant doctor --json | jq .checks'],
  `Checks: Node.js; SoX and its drivers; a one-second recording from the microphone and its level;
the player; the API (reachable, key accepted, the chosen models listed); the speech endpoints
(a one-word speech request, a transcription of a short silent clip); the store (opens, schema,
size); .env permissions. Exit code 0 when nothing is a problem (warnings allowed), 1 otherwise.`,
);

export const defineDoctor: CommandDefinition = (program, run) => {
  program
    .command('doctor')
    .description('check the set-up (Node, SoX, microphone, player, API and models, speech, store, .env) and say how to fix what is wrong')
    .option('--device <name>', 'microphone to check, as for talk (env ASSISTANT_DEVICE)')
    .option('--player <command>', 'player to check, as for talk (env ASSISTANT_PLAYER, default play)')
    .option('-m, --model <name>', 'chat model to look for (env ASSISTANT_MODEL, default gpt-4o-mini)')
    .option('--stt-model <name>', 'speech-to-text model to look for (env ASSISTANT_STT_MODEL, default gpt-4o-mini-transcribe)')
    .option('--tts-model <name>', 'text-to-speech model to look for (env ASSISTANT_TTS_MODEL, default gpt-4o-mini-tts)')
    .option('--json', 'print one JSON object: ok, problems, warnings, checks (name, status, found, fix)')
    .addHelpText('after', HELP)
    .action((options: DoctorOptionValues) =>
      run({ device: options.device, player: options.player, model: options.model, sttModel: options.sttModel, ttsModel: options.ttsModel }, async (context) => {
        const [{ runDoctor }, { realProcessRuntime }, { systemClock }, { runCommand }] = await Promise.all([
          import('./doctor.js'),
          import('../audio/process-launcher.js'),
          import('../clock.js'),
          import('../doctor/run-command.js'),
        ]);
        // The process's own environment: the one SoX and the player are started with.
        const env = process.env;
        return runDoctor(
          { json: options.json === true },
          {
            config: context.config.values,
            env,
            cwd: context.cwd,
            terminal: context.terminal,
            clock: systemClock,
            fetch: globalThis.fetch,
            runCommand,
            findExecutable: realProcessRuntime.launcher.findExecutable,
            recorder: context.recorder,
            player: () => context.player('use --mute'),
            openStore: context.openStore,
          },
        );
      }),
    );
};
