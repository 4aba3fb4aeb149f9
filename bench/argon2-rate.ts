// The raw password-hashing floor: how many argon2id verifications per second @node-rs/argon2
// does at Gatehouse's parameters (m=19456 KiB, t=2, p=1) with every core busy. Run as its own
// process (with UV_THREADPOOL_SIZE set to the core count by the runner); prints one JSON line.

import { availableParallelism } from 'node:os';
import * as argon2 from '@node-rs/argon2';

const seconds = Number(process.argv[2] ?? 5);
const options = { memoryCost: 19456, timeCost: 2, parallelism: 1, outputLen: 32, algorithm: 2 };
const password = 'Bench-Password-Correct-Horse-42';
const hash = await argon2.hash(password, options as argon2.Options);
const workers = availableParallelism();

let verified = 0;
const deadline = performance.now() + seconds * 1000;
const started = performance.now();
await Promise.all(
  Array.from({ length: workers }, async () => {
    while (performance.now() < deadline) {
      if (!(await argon2.verify(hash, password))) throw new Error('argon2 verify failed');
      verified++;
    }
  }),
);
const elapsed = (performance.now() - started) / 1000;
process.stdout.write(
  `${JSON.stringify({ verifications: verified, seconds: elapsed, perSecond: verified / elapsed, workers })}\n`,
);
