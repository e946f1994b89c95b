/**
 * CEL message construction (`Object{spec: Object.spec{replicas: 1}}`, `JSONPatch{op: "add"}`)
 * as MutatingAdmissionPolicy mutations write it. The CEL library nodeless uses has no message
 * types, so such literals are rewritten into map literals with quoted keys before compiling: a
 * mutation only needs the JSON the literal describes (an apply configuration, a patch operation).
 */

const KEYWORDS = new Set(['in', 'true', 'false', 'null', 'as', 'break', 'const', 'continue', 'else', 'for', 'function', 'if', 'import', 'let', 'loop', 'package', 'namespace', 'return', 'var', 'void', 'while']);

/** rewriteStructLiterals turns every `Type.Name{field: v, ...}` of expression into `{"field": v, ...}`, leaving strings and map literals alone. */
export function rewriteStructLiterals(expression: string): string {
  let out = '';
  // One entry per open bracket: whether it opened a message literal (whose field names get quoted).
  const stack: boolean[] = [];
  let i = 0;
  const n = expression.length;
  let lastSignificant = '';
  while (i < n) {
    const c = expression[i];
    // String literals (with r/b prefixes, single, double or triple quotes) are copied as they are.
    if (c === '"' || c === "'") {
      const triple = expression.startsWith(c.repeat(3), i);
      const quote = triple ? c.repeat(3) : c;
      const raw = /[rR]$/.test(out) && !/[A-Za-z0-9_][rR]$/.test(out);
      let j = i + quote.length;
      while (j < n && !expression.startsWith(quote, j)) j += !raw && expression[j] === '\\' ? 2 : 1;
      j = Math.min(n, j + quote.length);
      out += expression.slice(i, j);
      lastSignificant = c;
      i = j;
      continue;
    }
    if (/[A-Za-z_]/.test(c)) {
      let j = i;
      while (j < n && /[A-Za-z0-9_.]/.test(expression[j])) j++;
      const word = expression.slice(i, j);
      let k = j;
      while (k < n && /\s/.test(expression[k])) k++;
      const afterDot = lastSignificant === '.';
      if (expression[k] === '{' && !afterDot && !KEYWORDS.has(word) && /^[A-Za-z_]/.test(word)) {
        // A message literal: drop the type name, open a map whose keys are quoted.
        out += '{';
        stack.push(true);
        lastSignificant = '{';
        i = k + 1;
        continue;
      }
      if (stack[stack.length - 1] === true && (lastSignificant === '{' || lastSignificant === ',') && expression[k] === ':' && !word.includes('.')) {
        out += JSON.stringify(word);
        lastSignificant = '"';
        i = j;
        continue;
      }
      out += word;
      lastSignificant = word[word.length - 1];
      i = j;
      continue;
    }
    if (c === '{' || c === '[' || c === '(') stack.push(false);
    else if (c === '}' || c === ']' || c === ')') stack.pop();
    if (!/\s/.test(c)) lastSignificant = c;
    out += c;
    i++;
  }
  return out;
}
