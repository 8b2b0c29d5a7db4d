/**
 * A deliberately tiny highlighter for fenced code in answers: comments, strings, numbers and
 * the keywords of the languages models write most (JavaScript/TypeScript, Python, shell, Go,
 * Rust, C-like, SQL), one line at a time. It colours; it never changes a character, so code
 * copied from the terminal is the code the model wrote. A real grammar (highlight.js: ~1 MB,
 * ~30 ms to load) would cost `ask` more start-up than the answer is worth.
 */
import type { ChalkInstance } from 'chalk';

const KEYWORDS = new Set(
  [
    // JavaScript / TypeScript
    'async await break case catch class const continue default delete do else enum export extends false finally for from function if implements import in instanceof interface let new null of private protected public readonly return static super switch this throw true try type typeof undefined var void while yield',
    // Python
    'and as def del elif except global is lambda None nonlocal not or pass raise True False with',
    // shell
    'then fi esac done local echo exit',
    // Go, Rust, C-like
    'chan defer func go map package range select struct fn impl let loop match mod mut pub self Self trait use where int char bool float double unsigned sizeof',
  ].flatMap((words) => words.split(' ')),
);
const SQL_KEYWORDS = new Set('select from where insert into values update set delete create table index join left right inner outer on group by order having limit and or not null as distinct primary key references'.split(' '));

/** Languages whose comments start with `#` (as well as unknown ones, where `#` after a space is most often a comment). */
const HASH_COMMENTS = new Set(['', 'python', 'py', 'sh', 'bash', 'zsh', 'shell', 'console', 'ruby', 'rb', 'yaml', 'yml', 'toml', 'perl', 'r', 'make', 'makefile', 'dockerfile', 'ini', 'conf']);
const SQL = new Set(['sql', 'psql', 'postgres', 'postgresql', 'sqlite', 'mysql']);

const TOKEN = /(\/\/.*$|\/\*.*?(?:\*\/|$))|(#.*$)|(--.*$)|("(?:\\.|[^"\\])*"?|'(?:\\.|[^'\\])*'?|`(?:\\.|[^`\\])*`?)|(\b\d[\w.]*)|([A-Za-z_$][\w$]*)/g;

/** One line of code with its comments, strings, numbers and keywords coloured. */
export function highlightCodeLine(line: string, language: string, chalk: ChalkInstance): string {
  if (chalk.level === 0) return line;
  const hashComments = HASH_COMMENTS.has(language);
  const sql = SQL.has(language);
  let out = '';
  let last = 0;
  for (const match of line.matchAll(TOKEN)) {
    const [token, slashComment, hashComment, dashComment, string, number, word] = match;
    const start = match.index;
    let painted: string | undefined;
    if (slashComment !== undefined && (!hashComments || language === '')) painted = chalk.gray(token);
    else if (hashComment !== undefined && hashComments && (start === 0 || /\s/.test(line[start - 1]!))) painted = chalk.gray(token);
    else if (dashComment !== undefined && sql) painted = chalk.gray(token);
    else if (string !== undefined) painted = chalk.green(token);
    else if (number !== undefined) painted = chalk.yellow(token);
    else if (word !== undefined && (sql ? SQL_KEYWORDS.has(word.toLowerCase()) : KEYWORDS.has(word))) painted = chalk.magenta(token);
    if (painted === undefined) continue;
    out += line.slice(last, start) + painted;
    last = start + token.length;
  }
  return out + line.slice(last);
}
