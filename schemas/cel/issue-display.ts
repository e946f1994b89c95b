/**
 * displayIssues prints type errors as cel-go's Issues.String() does: sorted by line and column,
 * one "ERROR: <input>:line:column: message" per issue followed by the source line and a caret
 * under the column, joined by newlines, at most 100 of them. Columns count code points, and a
 * wide character before the caret is drawn with a wide dot, as cel-go does.
 */
import type { CheckIssue } from './static-check';

const MAX_ERRORS = 100;
const MAX_SNIPPET = 16384;

interface Located {
  line: number;
  column: number;
  lineStart: number;
  message: string;
}

/** displayIssues is the display text of issues found in expression. */
export function displayIssues(expression: string, issues: CheckIssue[]): string {
  const located = issues.map((i) => locate(expression, i));
  // Array.prototype.sort is stable, as Go's sort.SliceStable.
  located.sort((a, b) => a.line - b.line || a.column - b.column);
  const out = located.slice(0, MAX_ERRORS).map((l) => display(expression, l));
  if (located.length > MAX_ERRORS) out.push(`${located.length - MAX_ERRORS} more errors were truncated`);
  return out.join('\n');
}

function locate(expression: string, issue: CheckIssue): Located {
  const at = Math.max(0, Math.min(issue.at, expression.length));
  const lineStart = expression.lastIndexOf('\n', at - 1) + 1;
  let line = 1;
  for (let i = expression.indexOf('\n'); i >= 0 && i < lineStart; i = expression.indexOf('\n', i + 1)) line++;
  return { line, column: [...expression.slice(lineStart, at)].length, lineStart, message: issue.message };
}

function display(expression: string, l: Located): string {
  const head = `ERROR: <input>:${l.line}:${l.column + 1}: ${l.message}`;
  const end = expression.indexOf('\n', l.lineStart);
  const snippet = expression.slice(l.lineStart, end < 0 ? undefined : end).replace(/\t/g, ' ');
  if (Buffer.byteLength(snippet) > MAX_SNIPPET) return head;
  const chars = [...snippet];
  const dots = chars.slice(0, l.column).map((c) => (wide(c) ? '\uff0e' : '.')).join('');
  const caret = l.column < chars.length && wide(chars[l.column]) ? '\uff3e' : '^';
  return `${head}\n | ${snippet}\n | ${dots}${caret}`;
}

// wide tells a character that takes more than one byte in UTF-8.
function wide(c: string): boolean {
  return c.codePointAt(0)! > 0x7f;
}
