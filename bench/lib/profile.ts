/** Reads a V8 CPU profile (`node --cpu-prof`) and lists the functions with the most self time. */
import { readFileSync } from 'node:fs';

interface ProfileNode {
  id: number;
  callFrame: { functionName: string; url: string; lineNumber: number };
  hitCount?: number;
}

interface CpuProfile {
  nodes: ProfileNode[];
  startTime: number;
  endTime: number;
  samples?: number[];
  timeDeltas?: number[];
}

/** One function's share of the samples. */
export interface HotFunction {
  readonly name: string;
  /** `file:line`, shortened to the part after node_modules/ or the repository. */
  readonly where: string;
  readonly selfMs: number;
  readonly selfPercent: number;
}

function shorten(url: string): string {
  const path = url.replace(/^file:\/\//, '');
  const modules = path.lastIndexOf('node_modules/');
  if (modules >= 0) return path.slice(modules + 'node_modules/'.length);
  const packages = path.indexOf('/packages/');
  if (packages >= 0) return path.slice(packages + 1);
  return path || '(native)';
}

/** The `top` functions of `file` by self time, with the profile's total in milliseconds. */
export function hottestFunctions(file: string, top = 25): { totalMs: number; hot: HotFunction[] } {
  const profile = JSON.parse(readFileSync(file, 'utf8')) as CpuProfile;
  const byId = new Map(profile.nodes.map((n) => [n.id, n]));
  const selfUs = new Map<number, number>();
  const samples = profile.samples ?? [];
  const deltas = profile.timeDeltas ?? [];
  samples.forEach((id, i) => selfUs.set(id, (selfUs.get(id) ?? 0) + (deltas[i] ?? 0)));
  const totalUs = profile.endTime - profile.startTime;
  const grouped = new Map<string, { name: string; where: string; us: number }>();
  for (const [id, us] of selfUs) {
    const node = byId.get(id);
    if (!node) continue;
    const name = node.callFrame.functionName || '(anonymous)';
    const where = `${shorten(node.callFrame.url)}:${node.callFrame.lineNumber + 1}`;
    const key = `${name}@${where}`;
    const entry = grouped.get(key) ?? { name, where, us: 0 };
    entry.us += us;
    grouped.set(key, entry);
  }
  const hot = [...grouped.values()]
    .sort((a, b) => b.us - a.us)
    .slice(0, top)
    .map((e) => ({
      name: e.name,
      where: e.where,
      selfMs: Math.round(e.us / 1000),
      selfPercent: Math.round((e.us / totalUs) * 1000) / 10,
    }));
  return { totalMs: Math.round(totalUs / 1000), hot };
}

/** Self time summed by package (the folder under node_modules, a workspace package, or `node`). */
export function selfTimeByPackage(file: string): { name: string; selfPercent: number }[] {
  const { hot } = hottestFunctions(file, Number.MAX_SAFE_INTEGER);
  const sums = new Map<string, number>();
  for (const h of hot) {
    const where = h.where;
    let name: string;
    if (where.startsWith('packages/')) name = where.split('/').slice(0, 2).join('/');
    else if (where.startsWith('node:') || where.startsWith('(native)'))
      name = h.name.startsWith('(') ? h.name : 'node';
    else if (where.startsWith('@')) name = where.split('/').slice(0, 2).join('/');
    else name = where.split('/')[0] ?? where;
    sums.set(name, (sums.get(name) ?? 0) + h.selfPercent);
  }
  return [...sums]
    .map(([name, selfPercent]) => ({ name, selfPercent: Math.round(selfPercent * 10) / 10 }))
    .sort((a, b) => b.selfPercent - a.selfPercent);
}

/** The hottest functions as text lines, for the terminal. */
export function formatHotFunctions(file: string, top = 25): string {
  const { totalMs, hot } = hottestFunctions(file, top);
  const lines = [`${file} (${(totalMs / 1000).toFixed(1)} s profiled), self time:`];
  for (const h of hot) {
    lines.push(
      `${h.selfPercent.toFixed(1).padStart(5)} %  ${String(h.selfMs).padStart(6)} ms  ${h.name}  ${h.where}`,
    );
  }
  const packages = selfTimeByPackage(file)
    .slice(0, 12)
    .map((p) => `${p.name} ${p.selfPercent.toFixed(1)} %`);
  lines.push(`by package: ${packages.join(', ')}`);
  return lines.join('\n');
}
