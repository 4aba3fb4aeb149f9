// What a V8 CPU profile (`.cpuprofile`, from ./cpu-profiler.ts) says about where a load's time
// went: the share of samples the server was idle, in garbage collection and in V8's own work, and
// the functions with the most self time and the most inclusive time. Also turns a profile into
// collapsed stacks (`frame;frame;frame count` per line), the input of flamegraph.pl and inferno.

export interface CpuProfileNode {
  readonly id: number;
  readonly callFrame: {
    readonly functionName: string;
    readonly url: string;
    readonly lineNumber: number;
  };
  readonly children?: readonly number[];
}

/** The fields of V8's `Profiler.Profile` this file reads. */
export interface CpuProfile {
  readonly nodes: readonly CpuProfileNode[];
  readonly samples: readonly number[];
  /** Microseconds since the previous sample, one per sample. */
  readonly timeDeltas: readonly number[];
}

export interface FunctionShare {
  /** `name (file:line)`, the file relative to the repository or a package. */
  readonly function: string;
  /** Share of the busy time (every sample but idle), 0–1. */
  readonly share: number;
}

export interface ProfileSummary {
  /** Sampled milliseconds in all. */
  readonly totalMs: number;
  /** Shares of all samples, 0–1. */
  readonly idleShare: number;
  readonly gcShare: number;
  /** The top functions by self time and by inclusive time, as shares of the busy time. */
  readonly topSelf: readonly FunctionShare[];
  readonly topInclusive: readonly FunctionShare[];
}

/** V8's pseudo-frames: not functions of anyone's code. */
const IDLE = '(idle)';
const GC = '(garbage collector)';
const ROOT = '(root)';

function label(node: CpuProfileNode): string {
  const { functionName, url, lineNumber } = node.callFrame;
  const name = functionName === '' ? '(anonymous)' : functionName;
  if (url === '') return name;
  const file = url
    .replace(/^file:\/\//, '')
    .replace(/^.*\/node_modules\//, '')
    .replace(/^.*\/(src|dist|bench|bin)\//, '$1/');
  return `${name} (${file}:${lineNumber + 1})`;
}

/** Milliseconds of samples per node id. */
function timePerNode(profile: CpuProfile): Map<number, number> {
  const time = new Map<number, number>();
  profile.samples.forEach((id, i) => {
    time.set(id, (time.get(id) ?? 0) + (profile.timeDeltas[i] ?? 0) / 1000);
  });
  return time;
}

function parents(profile: CpuProfile): Map<number, number> {
  const parentOf = new Map<number, number>();
  for (const node of profile.nodes)
    for (const child of node.children ?? []) parentOf.set(child, node.id);
  return parentOf;
}

export function summarizeProfile(profile: CpuProfile, top = 15): ProfileSummary {
  const byId = new Map(profile.nodes.map((node) => [node.id, node]));
  const parentOf = parents(profile);
  const time = timePerNode(profile);
  let total = 0;
  let idle = 0;
  let gc = 0;
  const self = new Map<string, number>();
  const inclusive = new Map<string, number>();
  for (const [id, ms] of time) {
    const node = byId.get(id);
    if (node === undefined) continue;
    total += ms;
    const name = node.callFrame.functionName;
    if (name === IDLE) {
      idle += ms;
      continue;
    }
    if (name === GC) gc += ms;
    const own = label(node);
    self.set(own, (self.get(own) ?? 0) + ms);
    // Each function once per sample, however often it recurses.
    const seen = new Set<string>();
    for (let at: number | undefined = id; at !== undefined; at = parentOf.get(at)) {
      const frame = byId.get(at);
      if (frame === undefined || frame.callFrame.functionName === ROOT) continue;
      const key = label(frame);
      if (seen.has(key)) continue;
      seen.add(key);
      inclusive.set(key, (inclusive.get(key) ?? 0) + ms);
    }
  }
  const busy = total - idle;
  const ranked = (shares: Map<string, number>): FunctionShare[] =>
    [...shares]
      .sort((a, b) => b[1] - a[1])
      .slice(0, top)
      .map(([fn, ms]) => ({ function: fn, share: busy > 0 ? ms / busy : 0 }));
  return {
    totalMs: total,
    idleShare: total > 0 ? idle / total : 0,
    gcShare: total > 0 ? gc / total : 0,
    topSelf: ranked(self),
    topInclusive: ranked(inclusive),
  };
}

/**
 * The profile as collapsed stacks: one line per distinct stack, frames from the root down joined
 * by `;`, then the number of samples. Idle samples are left out.
 */
export function collapsedStacks(profile: CpuProfile): string {
  const byId = new Map(profile.nodes.map((node) => [node.id, node]));
  const parentOf = parents(profile);
  const counts = new Map<number, number>();
  for (const id of profile.samples) counts.set(id, (counts.get(id) ?? 0) + 1);
  const lines: string[] = [];
  for (const [id, count] of counts) {
    const frames: string[] = [];
    for (let at: number | undefined = id; at !== undefined; at = parentOf.get(at)) {
      const node = byId.get(at);
      if (node === undefined || node.callFrame.functionName === ROOT) continue;
      frames.push(label(node).replaceAll(';', ','));
    }
    if (frames.length === 0 || frames[0] === IDLE) continue;
    lines.push(`${frames.reverse().join(';')} ${count}`);
  }
  return lines.sort().join('\n') + (lines.length > 0 ? '\n' : '');
}
