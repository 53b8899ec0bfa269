import { OptimError } from './errors';

/** Picks variables by name: a RegExp (searched anywhere in the name) or a predicate. */
export type NameMatcher = RegExp | ((name: string) => boolean);

/**
 * Settings for the variables whose name `match`es. Groups are tried in order and the first match
 * wins; variables no group matches use the optimizer's own settings.
 */
export interface ParamGroup {
  match: NameMatcher;
  /** Multiplies the learning rate (schedule included) for this group. Default 1. */
  lrScale?: number;
  /** Replaces the optimizer's weight decay for this group (e.g. 0 for batch norm and bias). */
  weightDecay?: number;
  /** Multiplies the optimizer's weight decay for this group; ignored when `weightDecay` is set. Default 1. */
  weightDecayScale?: number;
}

/**
 * Batch-norm, layer/group-norm and bias variables by their usual names: `batch_normalization`,
 * `.bn1.`, `/bn/`, `layer_norm`, `bias`. Variable names from other selfsup packages carry a
 * model scope prefix (`resnet18_3/layer1.0.bn1.weight`), so this searches anywhere in the name.
 */
export const BN_AND_BIAS = /(batch|layer|group)_?norm|(^|[^a-z0-9])bn\d*([^a-z0-9]|$)|bias/i;

export interface ResolvedGroup {
  /** Index into the groups, or -1 for the default. */
  index: number;
  lrScale: number;
  weightDecay: number;
}

/** Compiles a matcher into a predicate; a global/sticky RegExp would carry `lastIndex` between calls. */
export function toPredicate(match: NameMatcher | string): (name: string) => boolean {
  if (typeof match === 'function') return match;
  const re = typeof match === 'string' ? new RegExp(match) : new RegExp(match.source, match.flags.replace(/[gy]/g, ''));
  return (name) => re.test(name);
}

function nonNegative(value: number, what: string): void {
  if (!(Number.isFinite(value) && value >= 0)) {
    throw new OptimError({ code: 'OPTIM_INVALID_GROUP', problem: `${what} is ${value}`, fix: `pass a finite ${what} >= 0` });
  }
}

/** Resolves each variable name to its group once and caches the answer. */
export class GroupResolver {
  private readonly predicates: ((name: string) => boolean)[];
  private readonly cache = new Map<string, ResolvedGroup>();

  constructor(
    private readonly groups: readonly ParamGroup[],
    private readonly baseWeightDecay: number,
  ) {
    groups.forEach((g, i) => {
      if (g == null || (typeof g.match !== 'function' && !(g.match instanceof RegExp))) {
        throw new OptimError({
          code: 'OPTIM_INVALID_GROUP',
          problem: `groups[${i}].match is ${g == null ? g : typeof g.match}`,
          fix: 'give every group a `match`: a RegExp or a (name: string) => boolean',
        });
      }
      if (g.lrScale !== undefined) nonNegative(g.lrScale, `groups[${i}].lrScale`);
      if (g.weightDecay !== undefined) nonNegative(g.weightDecay, `groups[${i}].weightDecay`);
      if (g.weightDecayScale !== undefined) nonNegative(g.weightDecayScale, `groups[${i}].weightDecayScale`);
    });
    this.predicates = groups.map((g) => toPredicate(g.match));
  }

  resolve(name: string): ResolvedGroup {
    let found = this.cache.get(name);
    if (found === undefined) {
      const index = this.predicates.findIndex((p) => p(name));
      const g = index >= 0 ? this.groups[index] : undefined;
      found = {
        index,
        lrScale: g?.lrScale ?? 1,
        weightDecay: g?.weightDecay ?? this.baseWeightDecay * (g?.weightDecayScale ?? 1),
      };
      this.cache.set(name, found);
    }
    return found;
  }
}
