/**
 * The 400s kube-apiserver answers when a create or update body cannot be decoded: its decoder
 * reads apiVersion and kind with Go's encoding/json before anything else, so a body that is not
 * JSON (YAML sent without a Content-Type, as `kubectl create --raw -f file.yaml` sends it, or an
 * empty body) is "unrecognized", worded with Go's own JSON syntax error and a short summary.
 */
import { StatusError } from '../../schemas/meta/status-error';

/**
 * unrecognizedObject is kube's transformDecodeError for a body whose type could not be read:
 * `the object provided is unrecognized (must be of type Namespace): <reason> (<summary>)`.
 */
export function unrecognizedObject(kind: string, reason: string, body: Buffer): StatusError {
  return new StatusError(400, 'BadRequest', `the object provided is unrecognized (must be of type ${kind}): ${reason} (${summarizeData(body, 30)})`);
}

/**
 * summarizeData is how kube quotes an undecodable body: <empty>, the first maxLength bytes as
 * text when it starts with "{", otherwise their hex; " ..." marks a cut.
 */
export function summarizeData(body: Buffer, maxLength: number): string {
  if (body.length === 0) return '<empty>';
  const cut = body.length > maxLength;
  const head = cut ? body.subarray(0, maxLength) : body;
  const text = body[0] === 0x7b ? head.toString('latin1') : head.toString('hex');
  return cut ? `${text} ...` : text;
}

/** INTERPRET_TARGET is the Go type kube's decoder unmarshals a body into to read its type. */
const INTERPRET_TARGET = 'struct { APIVersion string "json:\\"apiVersion,omitempty\\""; Kind string "json:\\"kind,omitempty\\"" }';

/**
 * interpretError is the error kube's decoder reports when it cannot read apiVersion and kind
 * from a JSON body ("couldn't get version/kind; json parse error: ..."), or undefined when it can.
 */
export function interpretError(body: Buffer): string | undefined {
  const syntax = goJSONSyntaxError(body);
  if (syntax) return `couldn't get version/kind; json parse error: ${syntax}`;
  const first = body.find((b) => !isSpace(b));
  const kind = first === 0x5b ? 'array' : first === 0x22 ? 'string' : first === 0x74 || first === 0x66 ? 'bool' : first === 0x6e || first === 0x7b ? undefined : 'number';
  if (kind) return `couldn't get version/kind; json parse error: json: cannot unmarshal ${kind} into Go value of type ${INTERPRET_TARGET}`;
  return undefined;
}

function isSpace(b: number): boolean {
  return b === 0x20 || b === 0x09 || b === 0x0a || b === 0x0d;
}

/** quoteChar spells a byte as Go's encoding/json scanner does in its messages: 'a', '\n', '\''. */
function quoteChar(b: number): string {
  if (b === 0x27) return "'\\''";
  if (b === 0x22) return "'\"'";
  const named: Record<number, string> = { 0x07: '\\a', 0x08: '\\b', 0x0c: '\\f', 0x0a: '\\n', 0x0d: '\\r', 0x09: '\\t', 0x0b: '\\v', 0x5c: '\\\\' };
  if (named[b]) return `'${named[b]}'`;
  if (b < 0x20 || b === 0x7f) return `'\\x${b.toString(16).padStart(2, '0')}'`;
  return `'${String.fromCharCode(b)}'`;
}

class SyntaxFailure extends Error {}

/**
 * goJSONSyntaxError checks body as Go's encoding/json does before it unmarshals, and answers
 * the scanner's message for the first error ("invalid character 'a' looking for beginning of
 * value", "unexpected end of JSON input", ...), or undefined for valid JSON.
 */
export function goJSONSyntaxError(body: Buffer): string | undefined {
  let i = 0;
  const fail = (context: string): never => {
    if (i >= body.length) throw new SyntaxFailure('unexpected end of JSON input');
    throw new SyntaxFailure(`invalid character ${quoteChar(body[i])} ${context}`);
  };
  const skipSpace = () => {
    while (i < body.length && isSpace(body[i])) i++;
  };
  const literal = (word: string) => {
    for (let k = 1; k < word.length; k++) {
      i++;
      if (body[i] !== word.charCodeAt(k)) fail(`in literal ${word} (expecting ${quoteChar(word.charCodeAt(k))})`);
    }
    i++;
  };
  const isDigit = (b: number | undefined) => b !== undefined && b >= 0x30 && b <= 0x39;
  const isHex = (b: number | undefined) => b !== undefined && (isDigit(b) || (b >= 0x61 && b <= 0x66) || (b >= 0x41 && b <= 0x46));
  const string = () => {
    i++;
    for (;;) {
      if (i >= body.length) fail('');
      const b = body[i];
      if (b === 0x22) {
        i++;
        return;
      }
      if (b < 0x20) fail('in string literal');
      if (b === 0x5c) {
        i++;
        const e = body[i];
        if (e === 0x75) {
          for (let k = 0; k < 4; k++) {
            i++;
            if (!isHex(body[i])) fail('in \\u hexadecimal character escape');
          }
        } else if (e === undefined || !'"\\/bfnrt'.includes(String.fromCharCode(e))) {
          fail('in string escape code');
        }
      }
      i++;
    }
  };
  const number = () => {
    if (body[i] === 0x2d) {
      i++;
      if (!isDigit(body[i])) fail('in numeric literal');
    }
    if (body[i] === 0x30) i++;
    else while (isDigit(body[i])) i++;
    if (body[i] === 0x2e) {
      i++;
      if (!isDigit(body[i])) fail('after decimal point in numeric literal');
      while (isDigit(body[i])) i++;
    }
    if (body[i] === 0x65 || body[i] === 0x45) {
      i++;
      if (body[i] === 0x2b || body[i] === 0x2d) i++;
      if (!isDigit(body[i])) fail('in exponent of numeric literal');
      while (isDigit(body[i])) i++;
    }
  };
  const value = (): void => {
    skipSpace();
    const b = body[i];
    if (b === 0x7b) {
      i++;
      skipSpace();
      if (body[i] === 0x7d) {
        i++;
        return;
      }
      for (;;) {
        skipSpace();
        if (body[i] !== 0x22) fail('looking for beginning of object key string');
        string();
        skipSpace();
        if (body[i] !== 0x3a) fail('after object key');
        i++;
        value();
        skipSpace();
        if (body[i] === 0x2c) {
          i++;
          continue;
        }
        if (body[i] === 0x7d) {
          i++;
          return;
        }
        fail('after object key:value pair');
      }
    }
    if (b === 0x5b) {
      i++;
      skipSpace();
      if (body[i] === 0x5d) {
        i++;
        return;
      }
      for (;;) {
        value();
        skipSpace();
        if (body[i] === 0x2c) {
          i++;
          continue;
        }
        if (body[i] === 0x5d) {
          i++;
          return;
        }
        fail('after array element');
      }
    }
    if (b === 0x22) return string();
    if (b === 0x2d || isDigit(b)) return number();
    if (b === 0x74) return literal('true');
    if (b === 0x66) return literal('false');
    if (b === 0x6e) return literal('null');
    fail('looking for beginning of value');
  };
  try {
    value();
    skipSpace();
    if (i < body.length) fail('after top-level value');
    return undefined;
  } catch (err) {
    if (err instanceof SyntaxFailure) return err.message;
    throw err;
  }
}
