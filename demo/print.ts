/** Printing the demo as a person would read it: numbered steps, results, colours on a TTY only. */
import { createColors } from 'picocolors';

export type Colors = ReturnType<typeof createColors>;

export interface Printer {
  c: Colors;
  heading(text: string): void;
  step(text: string): void;
  result(text: string): void;
  line(text?: string): void;
  fail(text: string): void;
}

export function printer(out: NodeJS.WriteStream = process.stdout): Printer {
  const c = createColors(Boolean(out.isTTY) && !process.env.NO_COLOR);
  let n = 0;
  const write = (text: string) => out.write(`${text}\n`);
  return {
    c,
    heading: (text) => write(`\n${c.bold(c.underline(text))}\n`),
    step(text) {
      n += 1;
      write(`\n${c.bold(`${String(n).padStart(2)}.`)} ${text}`);
    },
    result: (text) => write(`    ${c.green('✔')} ${text}`),
    line: (text = '') => write(text),
    fail: (text) => process.stderr.write(`${c.red('✖')} ${text}\n`),
  };
}
