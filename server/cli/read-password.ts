// Getting a password into `warden passwd` without it ever being an argument: typed at a terminal
// (no echo, asked twice) or the first line of a pipe.
import { CliError } from './cli-error.js';
import { EXIT } from './exit-codes.js';

/** Longer than any sane password; stops a wrong pipe (a binary file, /dev/zero) from filling memory. */
const MAX_LINE_BYTES = 64 * 1024;

const utf8 = new TextDecoder('utf-8', { fatal: true });

/** The password from `input`: prompted for on `prompt` when `input` is a terminal, else its first line. */
export async function readPassword(input: NodeJS.ReadStream, prompt: NodeJS.WriteStream): Promise<string> {
  if (!input.isTTY) return readFirstLine(input);
  const first = await readHidden(input, prompt, 'Password: ');
  if (first === '') return first; // the caller reports the empty password; no point asking again
  const second = await readHidden(input, prompt, 'Retype password: ');
  if (first !== second) throw new CliError('the two passwords differ');
  return first;
}

/** The first line of `input` without its line ending; all of it when there is no newline. */
export function readFirstLine(input: NodeJS.ReadableStream & { destroy(): void }): Promise<string> {
  return new Promise((resolve, reject) => {
    const chunks: Buffer[] = [];
    let size = 0;
    const finish = (settle: () => void): void => {
      input.off('data', onData);
      input.off('end', onEnd);
      input.off('error', onError);
      input.destroy(); // the rest of the pipe is not ours to read, and must not keep the process alive
      settle();
    };
    const decode = (bytes: Buffer): string => {
      try {
        return utf8.decode(bytes).replace(/\r?\n$/, '');
      } catch {
        throw new CliError('the password on stdin is not valid UTF-8');
      }
    };
    const onData = (chunk: Buffer | string): void => {
      const bytes = typeof chunk === 'string' ? Buffer.from(chunk) : chunk;
      const newline = bytes.indexOf(0x0a);
      chunks.push(newline < 0 ? bytes : bytes.subarray(0, newline + 1));
      size += bytes.length;
      if (newline >= 0) finish(() => settleWith(Buffer.concat(chunks)));
      else if (size > MAX_LINE_BYTES)
        finish(() =>
          reject(new CliError(`no newline in the first ${MAX_LINE_BYTES} bytes of stdin: that is not a password`)),
        );
    };
    const onEnd = (): void => {
      if (size === 0) finish(() => reject(new CliError('no password on stdin (it was empty)')));
      else finish(() => settleWith(Buffer.concat(chunks)));
    };
    const onError = (err: Error): void => finish(() => reject(new CliError(`cannot read stdin: ${err.message}`)));
    const settleWith = (bytes: Buffer): void => {
      try {
        resolve(decode(bytes));
      } catch (err) {
        reject(err);
      }
    };
    input.on('data', onData);
    input.on('end', onEnd);
    input.on('error', onError);
  });
}

const ENTER = new Set(['\r', '\n']);
const CTRL_C = '\u0003';
const CTRL_D = '\u0004';
const CTRL_U = '\u0015';
const ERASE = new Set(['\u007f', '\b']);
// Arrow keys and the like arrive as escape sequences; they are editing attempts, not password characters.
const ESCAPE_SEQUENCE = /\u001b(\[[0-9;]*[A-Za-z~]|O[A-Za-z]|.)?/g;

/** One line typed at the terminal with echo off (raw mode), handling erase, Ctrl-U, Ctrl-C and Ctrl-D. */
function readHidden(input: NodeJS.ReadStream, prompt: NodeJS.WriteStream, question: string): Promise<string> {
  prompt.write(question);
  input.setRawMode(true);
  input.setEncoding('utf8');
  input.resume();
  return new Promise((resolve, reject) => {
    let typed: string[] = [];
    const done = (settle: () => void): void => {
      input.off('data', onData);
      input.setRawMode(false);
      input.pause();
      prompt.write('\n');
      settle();
    };
    const onData = (text: string): void => {
      for (const char of text.replace(ESCAPE_SEQUENCE, '')) {
        if (ENTER.has(char)) return done(() => resolve(typed.join('')));
        if (char === CTRL_C) return done(() => reject(new CliError('interrupted', EXIT.INTERRUPTED)));
        if (char === CTRL_D) {
          if (typed.length === 0) return done(() => reject(new CliError('no password entered')));
          return done(() => resolve(typed.join('')));
        }
        if (ERASE.has(char)) typed.pop();
        else if (char === CTRL_U) typed = [];
        else if (char >= ' ') typed.push(char);
      }
    };
    input.on('data', onData);
  });
}
