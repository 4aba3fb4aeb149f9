// Group commit for SQLite: concurrent request transactions share one COMMIT.
//
// A COMMIT writes every page its transaction changed to the WAL, one write per page (a token grant
// changes ~10 pages over its tables and their indexes), and it was a quarter of the token
// endpoint's CPU. Pages that several transactions change (a table's last page, the ULID-ordered
// index leaves) are written once for all of them, and the per-COMMIT work is done once: grants
// that commit together cost less than one COMMIT each (pages of random keys, such as the token-hash
// index leaves, are still written once per transaction that touches them).
//
// How (one `GroupCommit` per SQLite connection; node-sqlite.ts drives it from Kysely's driver):
// - The connection has one owner at a time: `lock()` / `unlock()` is a FIFO lock (it replaces
//   Kysely's own mutex, so that a flush can queue for the connection like any query).
// - A *batch* is one SQLite transaction, opened with `BEGIN IMMEDIATE` by the first transaction
//   (*member*) to begin while none is open (the write lock up front, waiting out other processes
//   with busy_timeout, as before). Each later member runs in a `SAVEPOINT` inside it: its commit is
//   `RELEASE`, its rollback `ROLLBACK TO` + `RELEASE`, which undoes its own work and leaves the
//   other members' intact. The first member needs no savepoint: while it runs, the batch holds
//   nothing else, and its rollback is the batch's ROLLBACK.
// - After a member's commit a flush is scheduled (setImmediate). It queues for the connection,
//   so the transactions already waiting for it (and those the current event-loop turn starts) join
//   the batch first, and it never runs inside someone's savepoint. It COMMITs and settles the
//   batch. A batch also commits at once when it reaches `MAX_BATCH` members. So the write lock is
//   held for about one turn of the event loop, and a member waits at most for the members queued
//   behind it when it committed (transactions do no I/O inside, so that is microseconds each).
// - `transaction()` (what `SqlStorage.transaction` calls) resolves only once the batch holding its
//   work has committed. If that COMMIT fails (or SQLite ends the whole transaction because of a
//   statement of any member, e.g. a full disk or `INSERT OR ROLLBACK`), every member of the batch
//   is rejected and the batch rolled back: no member is ever answered for work that was not kept.
//   A COMMIT in WAL mode fails only for what fails every member alike (I/O errors, a full disk) or
//   for a deferred foreign key, which our schema does not use (its keys are checked at each
//   statement, so a violation fails that statement and that member only). A schema that adds a
//   DEFERRABLE key would let one member's violation fail its whole batch.
// - A member that wrote nothing into a batch that holds nothing yet (a read) commits at once: it
//   read only committed data, so it need not wait. A member that joined a batch holding others'
//   writes waits for the batch's COMMIT, since what it read may depend on them.
// - Only transactions that ask for it (`deferCurrent()` inside the transaction) wait for a later
//   COMMIT. Any other transaction on the connection (Kysely's `db.transaction()` used directly)
//   commits its batch, itself included, before its commit returns, exactly as before.
// - A statement outside any transaction while a batch is open first commits the batch, then runs
//   on its own (autocommit). So a write outside a transaction is durable when it is answered, and a
//   read never sees uncommitted work. No statement has to be classified as a read or a write (an
//   `INSERT … RETURNING` returns rows; a PRAGMA may write); nothing on the hot path runs outside a
//   transaction, so this costs no batching. Migrations run that way (Kysely runs SQLite migrations
//   without a transaction): they are never part of a batch.
// - `close()` waits for the connection, commits an open batch (or rolls it back and rejects its
//   members if the COMMIT fails) and refuses whoever still waits.

import type { DatabaseSync, StatementSync } from 'node:sqlite';
import type { Kysely, Transaction } from 'kysely';

/** A batch commits at once when it has this many members (bounds latency under constant load). */
export const MAX_BATCH = 32;

/** One SQLite transaction shared by the members that committed into it. */
class Batch {
  /** Members whose work is released into the batch and waits for its COMMIT. */
  size = 0;
  flushScheduled = false;
  /** `total_changes()` when the batch began: unchanged means nobody has written in it yet. */
  readonly changesAtBegin: number;
  readonly committed: Promise<void>;
  resolve!: () => void;
  reject!: (error: unknown) => void;

  constructor(changesAtBegin: number) {
    this.changesAtBegin = changesAtBegin;
    this.committed = new Promise<void>((resolve, reject) => {
      this.resolve = resolve;
      this.reject = reject;
    });
    // Nobody may be waiting (members that rolled back, a batch that failed before anyone joined):
    // a rejection must not become an unhandled one. Members awaiting it still see it.
    this.committed.catch(() => {});
  }
}

/** One transaction on the connection, from its start in a batch to its commit or rollback. */
export class Member {
  readonly batch: Batch;
  /** False for the member that opened the batch: its rollback is the batch's ROLLBACK. */
  readonly inSavepoint: boolean;
  /** Set by `deferCurrent()`: the member's commit may wait for the batch's COMMIT. */
  deferred = false;
  /** Committed with its batch at its own RELEASE: nothing to wait for. */
  committedAtRelease = false;

  constructor(batch: Batch, inSavepoint: boolean) {
    this.batch = batch;
    this.inSavepoint = inSavepoint;
  }

  /** Resolves once the member's work is committed; rejects if its batch failed. */
  durable(): Promise<void> {
    return this.committedAtRelease ? Promise.resolve() : this.batch.committed;
  }
}

export class DatabaseClosedError extends Error {
  override readonly name = 'DatabaseClosedError';
  constructor() {
    super('the SQLite database is closed');
  }
}

export class GroupCommit {
  readonly #db: DatabaseSync;
  readonly #begin: StatementSync;
  readonly #commit: StatementSync;
  readonly #rollback: StatementSync;
  readonly #savepoint: StatementSync;
  readonly #release: StatementSync;
  readonly #rollbackTo: StatementSync;
  readonly #totalChanges: StatementSync;

  #held = false;
  #closed = false;
  readonly #waiters: { resolve: () => void; reject: (error: Error) => void }[] = [];
  #batch: Batch | null = null;
  #current: Member | null = null;

  /** COMMITs of batches (for tests and metrics: members ÷ commits is the batching achieved). */
  commits = 0;
  /** Members committed, batched or not. */
  members = 0;

  constructor(db: DatabaseSync) {
    this.#db = db;
    // Prepared once: transaction control statements can be stepped again and again.
    this.#begin = db.prepare('BEGIN IMMEDIATE');
    this.#commit = db.prepare('COMMIT');
    this.#rollback = db.prepare('ROLLBACK');
    this.#savepoint = db.prepare('SAVEPOINT gatehouse_member');
    this.#release = db.prepare('RELEASE gatehouse_member');
    this.#rollbackTo = db.prepare('ROLLBACK TO gatehouse_member');
    this.#totalChanges = db.prepare('SELECT total_changes()');
    this.#totalChanges.setReturnArrays(true);
  }

  /** Takes the connection (first come, first served). */
  lock(): Promise<void> {
    if (this.#closed) return Promise.reject(new DatabaseClosedError());
    if (!this.#held) {
      this.#held = true;
      return Promise.resolve();
    }
    return new Promise((resolve, reject) => this.#waiters.push({ resolve, reject }));
  }

  /** Hands the connection to the next in line. */
  unlock(): void {
    const next = this.#waiters.shift();
    if (next === undefined) this.#held = false;
    else next.resolve();
  }

  /** A member starts (the connection is held): joins the open batch or opens one. */
  begin(): void {
    const open = this.#batch;
    if (open === null) {
      // The first member needs no savepoint: while it runs, the batch holds its work alone.
      this.#begin.run();
      this.#current = new Member((this.#batch = new Batch(this.#changes())), false);
      return;
    }
    this.#savepoint.run();
    this.#current = new Member(open, true);
  }

  /** The member running now may have its commit wait for the batch's COMMIT. */
  deferCurrent(): Member {
    const member = this.#current;
    if (member === null) throw new Error('deferCurrent() outside a transaction');
    member.deferred = true;
    return member;
  }

  /** The current member's work is done: RELEASE it into its batch, and commit when it is time. */
  commit(): void {
    const member = this.#current;
    if (member === null) throw new Error('commit() outside a transaction');
    // From here on the member is over: a failure below is not followed by a rollback of it.
    this.#current = null;
    const batch = member.batch;
    try {
      if (member.inSavepoint) this.#release.run();
      // The first member has nothing to release; the transaction must still be there.
      else if (!this.#db.isTransaction) throw new Error('the transaction ended unexpectedly');
    } catch (error) {
      // The savepoint is gone: SQLite ended the whole transaction under the member (e.g. a
      // statement it caught failed with a full disk). Nothing of the batch is kept.
      this.#abandon(batch, error);
      throw error;
    }
    this.members++;
    const alone = batch.size === 0;
    if (!member.deferred || (alone && this.#changes() === batch.changesAtBegin)) {
      // Not batched, or a read into a batch nobody has written in: commit now, not later.
      member.committedAtRelease = true;
      this.#commitBatch();
      return;
    }
    batch.size++;
    if (batch.size >= MAX_BATCH) {
      this.#commitBatch();
      member.committedAtRelease = true;
      return;
    }
    this.#scheduleFlush(batch);
  }

  /** The current member failed: undo its work only (unless SQLite already ended the batch). */
  rollback(): void {
    const member = this.#current;
    // Already over: its commit failed and settled the batch.
    if (member === null) return;
    this.#current = null;
    const batch = member.batch;
    // The member opened the batch, which holds nobody else's work: end it now rather than hold
    // the write lock until a flush.
    if (!member.inSavepoint) {
      this.#batch = null;
      // Fails only when SQLite has already rolled back; nothing was kept either way.
      if (this.#db.isTransaction) this.#rollback.run();
      batch.resolve();
      return;
    }
    try {
      this.#rollbackTo.run();
      this.#release.run();
    } catch (error) {
      // ROLLBACK TO fails only when the savepoint is gone: SQLite ended the whole transaction.
      this.#abandon(
        batch,
        new Error(
          'SQLite rolled back the whole transaction after a statement failed; ' +
            'the transactions committed with it were rolled back too',
          { cause: error },
        ),
      );
    }
  }

  /**
   * A statement is about to run (the connection is held). Outside a transaction, an open batch is
   * committed first, so the statement neither sees uncommitted work nor becomes part of it.
   */
  beforeStatement(): void {
    if (this.#current === null && this.#batch !== null) {
      try {
        this.#commitBatch();
      } catch {
        // The members are told; the statement runs on its own regardless.
      }
    }
  }

  /** Waits for the connection, commits an open batch, and refuses everyone after. */
  async close(): Promise<void> {
    await this.lock();
    if (this.#batch !== null) {
      try {
        this.#commitBatch();
      } catch {
        // The members were rejected and the batch rolled back.
      }
    }
    this.#closed = true;
    for (const waiter of this.#waiters.splice(0)) waiter.reject(new DatabaseClosedError());
  }

  /**
   * Runs `work` as one batched transaction through Kysely (`db` is this connection's Kysely) and
   * resolves with its result once its batch has committed.
   */
  async transaction<DB, T>(db: Kysely<DB>, work: (tx: Transaction<DB>) => Promise<T>): Promise<T> {
    let member: Member | undefined;
    const result = await db.transaction().execute((tx) => {
      // Runs right after BEGIN, with the connection held: the member is this transaction.
      member = this.deferCurrent();
      return work(tx);
    });
    await member!.durable();
    return result;
  }

  #changes(): number {
    return (this.#totalChanges.get() as unknown as [number])[0];
  }

  #scheduleFlush(batch: Batch): void {
    if (batch.flushScheduled) return;
    batch.flushScheduled = true;
    setImmediate(() => void this.#flush(batch));
  }

  async #flush(batch: Batch): Promise<void> {
    try {
      await this.lock();
    } catch {
      // Closed: close() committed the batch.
      return;
    }
    try {
      // Already committed (full, a statement outside a transaction, an unbatched member)?
      if (this.#batch === batch) this.#commitBatch();
    } catch {
      // The members are told through the batch.
    } finally {
      this.unlock();
    }
  }

  /** COMMITs the open batch and settles it; on failure rolls it back, rejects it and throws. */
  #commitBatch(): void {
    const batch = this.#batch!;
    this.#batch = null;
    try {
      this.#commit.run();
    } catch (error) {
      // A failed COMMIT (a deferred constraint) leaves the transaction open.
      this.#abandon(batch, error);
      throw error;
    }
    this.commits++;
    batch.resolve();
  }

  /** Ends the batch without keeping anything, and rejects its members with `error`. */
  #abandon(batch: Batch, error: unknown): void {
    if (this.#batch === batch) this.#batch = null;
    if (this.#db.isTransaction) {
      try {
        this.#rollback.run();
      } catch {
        // Nothing more can be done; the connection reports the error on its next use.
      }
    }
    batch.reject(error);
  }
}
