// Telling the homeserver about compat devices. A new session's device is created on the homeserver
// before the client gets its token (else the homeserver would refuse the token); when that fails
// the session is ended again, so no session exists whose device the homeserver never saw.
// A `sync-devices` job is queued then too, so the homeserver converges once it answers again.

import type { CompatSession } from '../../../model/compat-session.ts';
import { enqueueSyncDevices } from '../../../storage/matrix-jobs.ts';
import type { User } from '../../../model/user.ts';
import type { CompatDeps } from './compat-request.ts';

/** Creates the session's device on the homeserver; ends the session and rethrows on failure. */
export async function pushNewDevice(
  deps: CompatDeps,
  user: User,
  session: CompatSession,
): Promise<void> {
  if (deps.homeserver === null) return;
  try {
    await deps.homeserver.upsertDevice(user.username, session.deviceId, session.humanName);
  } catch (error) {
    await deps.storage.transaction(async (repos) => {
      const current = await repos.compatSessions.lookup(session.id);
      if (current !== null) await repos.compatSessions.finish(deps.clock, current);
      // Its token was never handed out, but a cached answer must not outlive the session anyway.
      await deps.introspectionCache?.invalidate({ session: session.id });
      await enqueueSyncDevices(repos.queue, deps.rng, deps.clock, user.id);
    });
    throw error;
  }
}
