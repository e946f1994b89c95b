/**
 * Large YAML bodies are decoded in a worker thread (server/http/yaml-thread.ts). The worker must
 * answer exactly what decoding on the event loop answers: the same value (key order included),
 * the same repeated-key paths, and the same refusal text.
 */
import { decodeYamlText } from '../../server/http/yaml-decode';
import { decodeYamlOffThread, stopYamlThread } from '../../server/http/yaml-thread';

type Outcome = { value?: string; duplicateFields?: string[]; error?: string };

function inThread(text: string): Outcome {
  try {
    const d = decodeYamlText(text);
    return { value: JSON.stringify(d.value), duplicateFields: d.duplicateFields };
  } catch (err) {
    return { error: (err as Error).message };
  }
}

async function offThread(text: string): Promise<Outcome> {
  try {
    const d = await decodeYamlOffThread(text);
    return { value: JSON.stringify(d.value), duplicateFields: d.duplicateFields };
  } catch (err) {
    return { error: (err as Error).message };
  }
}

function bigConfigMap(keys: number): string {
  const lines = ['apiVersion: v1', 'kind: ConfigMap', 'metadata:', '  name: big', 'data:'];
  for (let i = 0; i < keys; i++) lines.push(`  key-${i}: "value ${i} é"`);
  return lines.join('\n') + '\n';
}

const CASES: Record<string, string> = {
  'a large ConfigMap': bigConfigMap(2000),
  'repeated keys': 'apiVersion: v1\nkind: ConfigMap\nmetadata:\n  name: a\n  name: b\ndata:\n  x: "1"\n  x: "2"\n',
  'keys that are equal as strings': 'data:\n  1: a\n  "1": b\n',
  'anchors and aliases': 'a: &x {b: [1, 2, {c: d}]}\ne: *x\nf: *x\n',
  'numbers of every shape': 'a: 1\nb: -0\nc: 1.5e3\nd: 0x1F\ne: 12345678901234567890123\nf: 1e400\n',
  'a __proto__ key': '__proto__: {polluted: true}\nok: 1\n',
  'broken YAML': 'a: [1, 2\nb: c\n',
  'a tab indent': 'a:\n\tb: c\n',
  'deep nesting': '['.repeat(12000) + ']'.repeat(12000),
  'several documents': 'a: 1\n---\nb: 2\n',
  'an empty document': '',
  'text that is not a map': '- 1\n- 2\n',
};

afterAll(() => stopYamlThread());

describe('YAML decoded in the worker thread', () => {
  it.each(Object.keys(CASES))('answers what the event loop answers for %s', async (name) => {
    const text = CASES[name];
    expect(await offThread(text)).toEqual(inThread(text));
  });

  it('answers concurrent requests each with its own result', async () => {
    const texts = Array.from({ length: 20 }, (_, i) => `n: ${i}\nlist: [${'x, '.repeat(i)}y]\n`);
    const answers = await Promise.all(texts.map((t) => offThread(t)));
    expect(answers).toEqual(texts.map((t) => inThread(t)));
  });

  it('fails what it held when stopped, and starts a new worker for the next body', async () => {
    const held = offThread(bigConfigMap(20000));
    await stopYamlThread();
    expect((await held).error).toMatch(/^error converting YAML to JSON/);
    expect(await offThread(CASES['repeated keys'])).toEqual(inThread(CASES['repeated keys']));
  });
});
