import { execFile } from 'node:child_process';
import { existsSync, mkdirSync, symlinkSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { beforeEach, describe, expect, it } from 'vitest';
import { BIN, TempHome } from '../support/cli.js';
import type { FakeOpenAIServer } from '../support/openai-server.js';
import { useCliHarness } from '../support/harness.js';

const run = promisify(execFile);

let server: FakeOpenAIServer;
let home: TempHome;
useCliHarness((current) => ({ server, home } = current));

/** The environment the shell completes in: `assistant` on the PATH, the test's home and store. */
function shellEnvironment(): NodeJS.ProcessEnv {
  const commands = join(home.root, 'bin');
  if (!existsSync(commands)) {
    mkdirSync(commands);
    symlinkSync(BIN, join(commands, 'assistant'));
  }
  return home.environment({ PATH: `${commands}:${process.env.PATH}` });
}

/**
 * Loads the generated script into a real shell, sets the words as the shell would for the
 * cursor at the end of `words` (the last one is being typed), calls the completion function
 * and returns COMPREPLY.
 */
async function complete(shell: 'bash' | 'zsh', words: string[]): Promise<string[]> {
  const script = await home.run(['completion', shell]);
  expect(script).toMatchObject({ code: 0, stderr: '' });
  const file = join(home.root, `completion.${shell}`);
  writeFileSync(file, script.stdout);
  const quoted = words.map((word) => `'${word}'`).join(' ');
  const body =
    shell === 'bash'
      ? `source ${file}\ncomplete -p assistant\nCOMP_WORDS=(${quoted}); COMP_CWORD=${words.length - 1}\n_assistant_completion\nprintf '%s\\n' "\${COMPREPLY[@]}"`
      : // What zsh's bashcompinit does before calling the function: COMP_WORDS as zsh numbers it, COMP_CWORD from 0.
        `source ${file}\nCOMP_WORDS=(${quoted}); COMP_CWORD=${words.length - 1}\n_assistant_completion\nprint -l -- "\${COMPREPLY[@]}"`;
  const { stdout } = await run(shell, ['-c', body], { env: shellEnvironment(), cwd: home.root });
  const lines = stdout.split('\n').filter((line) => line !== '');
  if (shell === 'bash') expect(lines.shift()).toBe('complete -o default -F _assistant_completion assistant');
  return lines;
}

/** What fish offers for `line` (the cursor at its end), from the generated script: the candidates, without descriptions. */
async function fish(line: string): Promise<string[]> {
  const script = await home.run(['completion', 'fish']);
  const file = join(home.root, 'completion.fish');
  writeFileSync(file, script.stdout);
  const { stdout } = await run('fish', ['--no-config', '-c', `source ${file}; complete -C '${line}'`], { env: shellEnvironment(), cwd: home.root });
  return stdout
    .split('\n')
    .filter((entry) => entry !== '')
    .map((entry) => entry.split('\t')[0]!);
}

describe('assistant completion', () => {
  beforeEach(async () => {
    await home.run(['ask', '--session', 'paris-trip', 'Tell me about the Eiffel tower']);
    await home.run(['ask', '--session', 'pasta', 'How long do I boil pasta?']);
    await home.run(['ask', '--session', 'work', 'Summarize my week']);
  });

  it('bash completes command names from the command table', async () => {
    expect(await complete('bash', ['assistant', 'hi'])).toEqual(['history']);
    expect(await complete('bash', ['assistant', 'co'])).toEqual(['config', 'completion']);
    expect(await complete('bash', ['assistant', 'cache', 'c'])).toEqual(['clear']);
    expect(await complete('bash', ['assistant', 'completion', ''])).toEqual(['bash', 'zsh', 'fish']);
  });

  it("bash completes a command's options, its own and not another's", async () => {
    expect(await complete('bash', ['assistant', 'history', '--f'])).toEqual(['--format']);
    expect(await complete('bash', ['assistant', 'ask', '--no-'])).toEqual(['--no-cache', '--no-stream']);
    expect(await complete('bash', ['assistant', 'cache', 'clear', '--'])).toEqual(['--json', '--help']);
    // An option's value that looks like a command does not move the line into that command.
    expect(await complete('bash', ['assistant', 'ask', '--model', 'history', '--j'])).toEqual(['--json']);
  });

  it('bash completes session ids from the store, with no call to any model', async () => {
    const requestsBefore = server.requests.length;
    expect(await complete('bash', ['assistant', 'ask', '--session', 'pa'])).toEqual(['pasta', 'paris-trip']);
    expect(await complete('bash', ['assistant', 'history', '-s', ''])).toEqual(['work', 'pasta', 'paris-trip']);
    expect(await complete('bash', ['assistant', 'history', '--delete', 'w'])).toEqual(['work']);
    expect(server.requests.length).toBe(requestsBefore);
  });

  it('bash and fish complete role names from the config file for --role', async () => {
    await home.run(['config', 'set', 'roles.reviewer.system', 'You review code.']);
    await home.run(['config', 'set', 'roles.pirate.system', 'Arr.']);
    expect(await complete('bash', ['assistant', 'ask', '--role', 're'])).toEqual(['reviewer']);
    expect(await complete('bash', ['assistant', 'talk', '-r', ''])).toEqual(['reviewer', 'pirate']);
    expect(await fish('assistant chat --role p')).toEqual(['pirate']);
  });

  it('history --ids prints session ids newest first, one a line, and is not in the help', async () => {
    expect(await home.run(['history', '--ids'])).toMatchObject({ code: 0, stdout: 'work\npasta\nparis-trip\n', stderr: '' });
    expect((await home.run(['history', '--help'])).stdout).not.toContain('--ids');
  });

  it('zsh runs the same completion through bashcompinit', async () => {
    // zsh's compadd filters by what is typed, so the function may offer more than matches.
    expect(await complete('zsh', ['assistant', 'cache', 'c'])).toEqual(expect.arrayContaining(['clear']));
    expect(await complete('zsh', ['assistant', 'history', '--f'])).toEqual(expect.arrayContaining(['--format']));
    expect(await complete('zsh', ['assistant', 'ask', '-s', ''])).toEqual(['work', 'pasta', 'paris-trip']);
  });

  it('the zsh and fish scripts are valid for their shells', async () => {
    for (const shell of ['zsh', 'fish'] as const) {
      const script = await home.run(['completion', shell]);
      expect(script.code).toBe(0);
      const file = join(home.root, `completion.${shell}`);
      writeFileSync(file, script.stdout);
      await expect(run(shell, ['-n', file])).resolves.toMatchObject({ stderr: '' });
    }
  });

  it('bash and fish complete the speech engines for --tts and --stt', async () => {
    expect(await complete('bash', ['assistant', 'talk', '--tts', ''])).toEqual(['openai', 'espeak', 'say', 'command']);
    expect(await complete('bash', ['assistant', 'say', '--tts', 'es'])).toEqual(['espeak']);
    expect(await complete('bash', ['assistant', 'transcribe', '--stt', ''])).toEqual(['openai', 'command']);
    expect(await fish('assistant ask --tts s')).toEqual(['say']);
  });

  it('fish completes session ids and commands', async () => {
    expect(await fish('assistant hi')).toEqual(['history']);
    expect(await fish('assistant ask --session pa')).toEqual(expect.arrayContaining(['pasta', 'paris-trip']));
    expect(await fish('assistant history --fo')).toEqual(['--format']);
  });

  it('refuses an unknown shell (exit 2)', async () => {
    const result = await home.run(['completion', 'powershell']);
    expect(result).toMatchObject({ code: 2, stdout: '' });
    expect(result.stderr).toContain('bash, zsh, fish');
  });
});
