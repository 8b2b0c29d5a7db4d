/**
 * Output that mixes our own styling with text we did not write. A plain string handed to a
 * Terminal printer is always treated as untrusted and neutralised (on stderr always, on stdout
 * when it is a terminal), so escape sequences reach the terminal only through a Markup: the
 * literal parts of a `markup` template and our Style functions. Untrusted values inside a
 * Markup are neutralised when it is printed (for that destination: a pipe keeps them raw),
 * and only then styled, so our colours survive and theirs do not.
 */
import type { ChalkInstance } from 'chalk';
import { sanitizeForTerminal } from './sanitize.js';

/** Makes untrusted text fit for one destination: neutralised for a terminal, unchanged for a pipe. */
export type Neutraliser = (text: string) => string;

/** What the printers take: a plain (untrusted) string, or Markup. */
export type Printable = string | Markup;

export class Markup {
  /** Only for this module and the helpers built on it (tables): anything it returns is trusted. */
  constructor(private readonly build: (neutralise: Neutraliser) => string) {}

  render(neutralise: Neutraliser): string {
    return this.build(neutralise);
  }

  /** Used as a string (e.g. written to a raw stream): untrusted parts neutralised, our styling kept. */
  toString(): string {
    return this.build(sanitizeForTerminal);
  }
}

/** Renders a Printable: a string is untrusted text, Markup renders itself. */
export function render(value: Printable | number, neutralise: Neutraliser): string {
  if (value instanceof Markup) return value.render(neutralise);
  return typeof value === 'number' ? String(value) : neutralise(value);
}

/**
 * A tagged template: the literal text is ours, every interpolated string is untrusted.
 * `markup\`${style.cyan('You:')} ${transcript}\``
 */
export function markup(literals: TemplateStringsArray, ...values: Array<Printable | number>): Markup {
  return new Markup((neutralise) => {
    let out = literals[0] ?? '';
    values.forEach((value, index) => (out += render(value, neutralise) + (literals[index + 1] ?? '')));
    return out;
  });
}

/** The parts joined by `separator` (ours). */
export function joinMarkup(parts: readonly Printable[], separator: string): Markup {
  return new Markup((neutralise) => parts.map((part) => render(part, neutralise)).join(separator));
}

const STYLE_NAMES = ['bold', 'dim', 'italic', 'underline', 'inverse', 'red', 'green', 'yellow', 'blue', 'magenta', 'cyan', 'white', 'gray'] as const;
type StyleName = (typeof STYLE_NAMES)[number];

/** Chalk's chainable styles (`style.cyan.bold(text)`), returning Markup whose content is neutralised before it is styled. */
export type Style = ((content: Printable | number) => Markup) & { readonly [name in StyleName]: Style } & { readonly level: ChalkInstance['level'] };

export function styleFrom(chalk: ChalkInstance): Style {
  const style = ((content: Printable | number) => new Markup((neutralise) => chalk(render(content, neutralise)))) as Style;
  for (const name of STYLE_NAMES) Object.defineProperty(style, name, { get: () => styleFrom(chalk[name]) });
  Object.defineProperty(style, 'level', { get: () => chalk.level });
  return style;
}
