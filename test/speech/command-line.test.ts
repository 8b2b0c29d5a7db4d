import { describe, expect, it } from 'vitest';
import { fillPlaceholders, splitCommandLine } from '../../src/speech/command-line.js';
import { cleanTranscript } from '../../src/speech/command-transcriber.js';

describe('splitCommandLine', () => {
  it('splits on whitespace and keeps quoted parts whole, without any expansion', () => {
    expect(splitCommandLine(`piper --model "my voices/en.onnx" --output_file {out}`, '--tts-command')).toEqual({
      program: 'piper',
      args: ['--model', 'my voices/en.onnx', '--output_file', '{out}'],
    });
    expect(splitCommandLine(`sh -c 'echo "$1" $(date)' x`, 'c').args).toEqual(['-c', 'echo "$1" $(date)', 'x']);
    expect(splitCommandLine(`say "a \\"b\\" \\$HOME \\n" c\\ d '' e`, 'c').args).toEqual(['a "b" $HOME \\n', 'c d', '', 'e']);
  });

  it('expands a leading ~/ to the home directory, nowhere else', () => {
    expect(splitCommandLine('whisper-cli -m ~/models/base.bin -f {file} x~/y', 'c', '/home/me').args).toEqual(['-m', '/home/me/models/base.bin', '-f', '{file}', 'x~/y']);
  });

  it('an unclosed quote or an empty command is a usage error', () => {
    expect(() => splitCommandLine(`piper "en.onnx`, '--tts-command')).toThrow(/--tts-command has an unclosed " quote/);
    expect(() => splitCommandLine('   ', '--stt-command')).toThrow(/--stt-command is empty/);
  });
});

describe('fillPlaceholders', () => {
  it('puts hostile text into exactly one argument, verbatim, and does not re-read what it inserted', () => {
    const hostile = `"; rm -rf / ; echo $(id) \`id\` '{out}' $& $1`;
    const command = splitCommandLine('tts --text={text} --out {out} {unknown}', 'c');
    expect(fillPlaceholders(command, { text: hostile, out: '/tmp/o.wav' })).toEqual([`--text=${hostile}`, '--out', '/tmp/o.wav', '{unknown}']);
  });
});

describe('cleanTranscript', () => {
  it('joins segments into one line and drops the markers recognizers print for silence', () => {
    expect(cleanTranscript('  Hello there.\n How are you?\n[BLANK_AUDIO]\n')).toBe('Hello there. How are you?');
    expect(cleanTranscript('[ Silence ]\n(silence)\n<s> </s>\n')).toBe('');
  });
});
