// node-record-lpcm16 loads its recorder by path and calls it with the options object.
// This one runs exactly the command that SoxRecorder built (see recorder.ts), so SoX gets
// the flags it needs (a small --buffer) that the library's own recorders do not pass.
module.exports = (options: { command: { cmd: string; args: string[]; spawnOptions: object } }) => options.command;
