/**
 * Decoding of YAML text into a JSON value, with the limits of body-limits.ts. It depends on
 * nothing but the yaml package and those limits, so that yaml-thread.ts can run it in a worker
 * thread for large bodies: the yaml package needs ~2 ms of CPU per KB (a 650 KB ConfigMap of
 * 50,000 keys took 1.1-1.5 s), which on the event loop would hold up every other client.
 */
import YAML from 'yaml';
import { MAX_BODY_BYTES, MAX_NESTING_DEPTH, checkDecodedValue } from './body-limits';

/** YamlDecodeError is a YAML body that cannot be decoded; its message is the 400's message. */
export class YamlDecodeError extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'YamlDecodeError';
  }
}

/** DecodedYaml is a YAML document's value and the paths of the keys it repeats (see duplicateYamlPaths). */
export interface DecodedYaml {
  value: unknown;
  duplicateFields: string[];
}

/**
 * decodeYamlText parses one YAML document. The document's nesting is checked on its syntax tree,
 * without recursion, before anything recursive runs; integers are kept as bigint by the parser
 * so that ones a number cannot hold are refused rather than rounded; and the converted value is
 * measured, so aliases (at most 100 of them, as maxAliasCount allows) cannot expand the document
 * past the body limit. The repeated keys are found on the same parse, since parsing again to
 * warn of them would cost as much.
 */
export function decodeYamlText(text: string): DecodedYaml {
  try {
    if (yamlDepth(text, MAX_NESTING_DEPTH) > MAX_NESTING_DEPTH) {
      throw new YamlDecodeError(`error converting YAML to JSON: yaml: exceeded max depth of ${MAX_NESTING_DEPTH}`);
    }
    // The composer's own check of repeated keys compares each key with every earlier one of its
    // map (quadratic: 20,000 keys took 9 s); repeatedKey does it with a set per map.
    const docs = YAML.parseAllDocuments(text, { intAsBigInt: true, uniqueKeys: false });
    const list = Array.isArray(docs) ? docs : [docs];
    const real = list.filter((d) => d.contents !== null);
    if (real.length > 1) throw new YamlDecodeError('the request body must hold a single YAML document');
    const doc = real[0] ?? list[0];
    if (!doc) throw new YamlDecodeError('the request body is empty');
    if (doc.errors.length) throw new YamlDecodeError(`error converting YAML to JSON: ${doc.errors[0].message.split('\n')[0]}`);
    if (repeatedKey(doc.contents)) throw new YamlDecodeError('error converting YAML to JSON: Map keys must be unique');
    return { value: checkDecodedValue(doc.toJS({ maxAliasCount: 100 }), MAX_BODY_BYTES), duplicateFields: duplicateYamlPaths(doc.contents) };
  } catch (err) {
    if (err instanceof YamlDecodeError) throw err;
    throw new YamlDecodeError(`error converting YAML to JSON: ${(err as Error).message.split('\n')[0]}`);
  }
}

// repeatedKey tells whether any map of a composed document (nested at most MAX_NESTING_DEPTH,
// as yamlDepth checked) repeats a key, without recursion.
function repeatedKey(root: unknown): boolean {
  const stack: unknown[] = [root];
  while (stack.length) {
    const node = stack.pop();
    if (YAML.isMap(node)) {
      const seen = new Set<unknown>();
      for (const pair of node.items) {
        const key = YAML.isScalar(pair.key) ? pair.key.value : pair.key;
        const id = typeof key === 'object' && key !== null ? String(key) : key;
        if (seen.has(id)) return true;
        seen.add(id);
        stack.push(pair.value);
      }
    } else if (YAML.isSeq(node)) {
      for (const item of node.items) stack.push(item);
    }
  }
  return false;
}

/**
 * duplicateYamlPaths lists the paths (a.b[0].c) of the map keys of a composed document that
 * name the same field as an earlier key of their map once written as text (1 and "1"), which
 * toJS keeps one of and strict field validation reports.
 */
export function duplicateYamlPaths(root: unknown): string[] {
  const out: string[] = [];
  const visit = (node: unknown, path: string) => {
    if (YAML.isMap(node)) {
      const seen = new Set<string>();
      for (const pair of node.items) {
        const key = String(YAML.isScalar(pair.key) ? pair.key.value : pair.key);
        const p = path ? `${path}.${key}` : key;
        if (seen.has(key)) out.push(p);
        seen.add(key);
        visit(pair.value, p);
      }
    } else if (YAML.isSeq(node)) {
      node.items.forEach((item, i) => visit(item, `${path}[${i}]`));
    }
  };
  visit(root, '');
  return out;
}

// yamlDepth is the nesting of collections in YAML text, measured on the concrete syntax tree
// of the yaml package's Parser, which is built without recursion, so that the composer and toJS
// (which recurse) never see a document nested past limit. It stops counting once past limit.
// Aliases are not followed (checkDecodedValue measures what they expand to).
function yamlDepth(text: string, limit: number): number {
  let deepest = 0;
  const stack: Array<[unknown, number]> = [];
  for (const token of new YAML.Parser().parse(text)) stack.push([token, 0]);
  while (stack.length) {
    const [t, d] = stack.pop()!;
    if (t === null || typeof t !== 'object') continue;
    const token = t as { value?: unknown; items?: Array<{ key?: unknown; value?: unknown }> };
    let depth = d;
    if (Array.isArray(token.items)) {
      depth = d + 1;
      if (depth > deepest) deepest = depth;
      if (depth > limit) return depth;
      for (const item of token.items) {
        if (item.key) stack.push([item.key, depth]);
        if (item.value) stack.push([item.value, depth]);
      }
    }
    if (token.value && typeof token.value === 'object') stack.push([token.value, depth]);
  }
  return deepest;
}
