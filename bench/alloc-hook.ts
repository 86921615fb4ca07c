/**
 * Preloaded into the gateway by push-profile.ts (`--alloc-prof`, `node --require`): V8's sampling
 * heap profiler over the measured pushes, counting every sampled allocation, also those the
 * young- and old-generation collections have already freed (a push's garbage is what costs GC
 * time). The first SIGHUP starts sampling and writes `started` to $PGW_ALLOC_HOOK_OUT; the next
 * stops it and writes the profile there (a `.heapprofile`, which Chrome's DevTools open). Never
 * part of the gateway.
 */
import { writeFileSync } from 'node:fs';
import { Session } from 'node:inspector';

const out = process.env.PGW_ALLOC_HOOK_OUT;
if (out !== undefined) {
  const session = new Session();
  session.connect();
  let sampling = false;
  process.on('SIGHUP', () => {
    if (!sampling) {
      sampling = true;
      const params = { samplingInterval: 1024, includeObjectsCollectedByMajorGC: true, includeObjectsCollectedByMinorGC: true };
      session.post('HeapProfiler.startSampling', params, (error) => writeFileSync(out, error === null ? 'started' : `error: ${error.message}`));
      return;
    }
    sampling = false;
    session.post('HeapProfiler.stopSampling', (error, result) => {
      writeFileSync(out, error === null ? JSON.stringify(result.profile) : `error: ${error.message}`);
    });
  });
}
