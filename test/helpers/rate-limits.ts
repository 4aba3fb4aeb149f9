// Every test request comes from 127.0.0.1, so MAS's per-address limits (3 sign-ins a minute) would
// trip tests that sign in a few times. Test servers loosen only the per-address limits; limits
// keyed by account, email or session keep MAS's defaults. Rate-limit tests set their own.

const loose = { burst: 10_000, per_second: 10_000 };

export const LOOSE_ADDRESS_LIMITS = {
  login: { per_ip: loose },
  registration: loose,
  account_recovery: { per_ip: loose },
  email_authentication: { per_ip: loose },
};
