/**
 * crash-writer: the child process of the crash test. It writes to the store as fast as it can
 * and prints one line per write the store acknowledged: "<key> <revision> <payload>".
 * The parent kills it with SIGKILL at a random moment.
 */
import { openSqliteStore } from '../../store';

async function main(): Promise<void> {
  const dbPath = process.argv[2];
  const store = openSqliteStore({ path: dbPath, synchronous: (process.argv[3] as 'NORMAL' | 'FULL') || 'NORMAL' });
  for (let i = 0; ; i++) {
    const key = `/core/configmaps/default/crash-${i}`;
    const payload = `p${i}-${Math.random().toString(36).slice(2)}`;
    const kv = await store.create(key, { metadata: { name: `crash-${i}` }, data: { payload } });
    // Only after the store acknowledged the write does the parent learn of it.
    process.stdout.write(`${key} ${kv.revision} ${payload}\n`);
    if (i % 3 === 0) {
      const up = await store.update(key, { metadata: { name: `crash-${i}` }, data: { payload: payload + '-u' } });
      process.stdout.write(`${key} ${up.revision} ${payload}-u\n`);
    }
  }
}

main().catch((err) => {
  process.stderr.write(String(err) + '\n');
  process.exit(1);
});
