// The parts of play-sound 1.x that assistant uses (the package ships no types).
declare module 'play-sound' {
  import type { ChildProcess } from 'node:child_process';

  interface Player {
    play(file: string, options: Record<string, unknown>, done: (error: Error | null) => void): ChildProcess | null;
  }

  export default function playSound(options: { player?: string; players?: string[] }): Player;
}
