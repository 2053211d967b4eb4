/**
 * Transitive group membership. Groups nest: a member of a group that sits in another group is a
 * member of both. Cycles are allowed (A in B, B in A) and harmless: every group of a cycle is in
 * the memberof of every member of the cycle, and nothing loops.
 *
 * MembershipClosure computes memberof for every entry at once, with Tarjan's strongly connected
 * components over the group graph (iterative, so a deep chain cannot overflow the stack) and one
 * pass over the components in dependency order: O(groups + edges + result size). The directory
 * builds it once per membership change and only when a bulk read needs it; single-entry reads
 * between changes use the breadth-first helpers at the bottom instead of rebuilding.
 */

export interface MembershipEdge {
  group: string;
  member: string;
}

const EMPTY: ReadonlySet<string> = new Set();

/** Strongly connected components of `nodes` under `next`, each emitted after all it reaches. */
function components(nodes: Iterable<string>, next: (node: string) => readonly string[]): string[][] {
  const index = new Map<string, number>();
  const low = new Map<string, number>();
  const onStack = new Set<string>();
  const stack: string[] = [];
  const result: string[][] = [];
  let counter = 0;
  const visit = (node: string, work: Array<[string, number]>): void => {
    index.set(node, counter);
    low.set(node, counter);
    counter += 1;
    stack.push(node);
    onStack.add(node);
    work.push([node, 0]);
  };
  for (const root of nodes) {
    if (index.has(root)) continue;
    const work: Array<[string, number]> = [];
    visit(root, work);
    while (work.length > 0) {
      const frame = work[work.length - 1]!;
      const [node, position] = frame;
      const successors = next(node);
      if (position < successors.length) {
        frame[1] = position + 1;
        const succ = successors[position]!;
        if (!index.has(succ)) visit(succ, work);
        else if (onStack.has(succ)) low.set(node, Math.min(low.get(node)!, index.get(succ)!));
        continue;
      }
      work.pop();
      if (work.length > 0) {
        const parent = work[work.length - 1]![0];
        low.set(parent, Math.min(low.get(parent)!, low.get(node)!));
      }
      if (low.get(node) === index.get(node)) {
        const component: string[] = [];
        let member: string;
        do {
          member = stack.pop()!;
          onStack.delete(member);
          component.push(member);
        } while (member !== node);
        result.push(component);
      }
    }
  }
  return result;
}

export class MembershipClosure {
  /** member -> groups it is directly in */
  private readonly parents = new Map<string, string[]>();
  /** group -> its direct members */
  private readonly children = new Map<string, string[]>();
  /** group -> every group it sits in, itself included when it is part of a cycle */
  private readonly groupAncestors = new Map<string, ReadonlySet<string>>();
  private readonly accountGroups = new Map<string, ReadonlySet<string>>();
  private readonly closedSets = new Map<string, ReadonlySet<string>>();
  private readonly effective = new Map<string, string[]>();

  constructor(edges: Iterable<MembershipEdge>, isGroup: (uuid: string) => boolean) {
    for (const { group, member } of edges) {
      push(this.parents, member, group);
      push(this.children, group, member);
    }
    this.computeGroups(isGroup);
    for (const member of this.parents.keys()) {
      if (isGroup(member)) continue;
      const groups = this.closedUnion(this.parents.get(member)!);
      this.accountGroups.set(member, groups);
      for (const group of groups) push(this.effective, group, member);
    }
  }

  private computeGroups(isGroup: (uuid: string) => boolean): void {
    // Groups with members, and groups without members that sit in another group.
    const groups = new Set<string>(this.children.keys());
    for (const member of this.parents.keys()) if (isGroup(member)) groups.add(member);
    const next = (g: string): readonly string[] => this.parents.get(g) ?? [];
    for (const component of components(groups, next)) {
      const inComponent = new Set(component);
      const cyclic = component.length > 1 || next(component[0]!).includes(component[0]!);
      const ancestors = new Set<string>(cyclic ? component : []);
      for (const g of component) {
        for (const parent of next(g)) {
          if (inComponent.has(parent)) continue;
          ancestors.add(parent);
          for (const a of this.groupAncestors.get(parent) ?? EMPTY) ancestors.add(a);
        }
      }
      for (const g of component) this.groupAncestors.set(g, ancestors);
    }
  }

  /** `group` and every group it sits in; shared by all accounts whose only direct group it is. */
  private closed(group: string): ReadonlySet<string> {
    let set = this.closedSets.get(group);
    if (!set) {
      set = new Set([group, ...(this.groupAncestors.get(group) ?? EMPTY)]);
      this.closedSets.set(group, set);
    }
    return set;
  }

  /** Every group reached from the direct groups `direct`, the direct ones included. */
  private closedUnion(direct: readonly string[]): ReadonlySet<string> {
    if (direct.length === 1) return this.closed(direct[0]!);
    const result = new Set<string>();
    for (const g of direct) {
      result.add(g);
      for (const a of this.groupAncestors.get(g) ?? EMPTY) result.add(a);
    }
    return result;
  }

  /** Every group `uuid` is in, directly or through nesting; never `uuid` itself. */
  memberOf(uuid: string): ReadonlySet<string> {
    const accountGroups = this.accountGroups.get(uuid);
    if (accountGroups) return accountGroups;
    const ancestors = this.groupAncestors.get(uuid);
    if (!ancestors) return EMPTY;
    if (!ancestors.has(uuid)) return ancestors;
    const copy = new Set(ancestors);
    copy.delete(uuid);
    return copy;
  }

  /** Every non-group member of `group`, directly or through nested groups. */
  effectiveMembers(group: string): readonly string[] {
    return this.effective.get(group) ?? [];
  }

  directMembers(group: string): readonly string[] {
    return this.children.get(group) ?? [];
  }

  directParents(uuid: string): readonly string[] {
    return this.parents.get(uuid) ?? [];
  }
}

function push(map: Map<string, string[]>, key: string, value: string): void {
  const list = map.get(key);
  if (list) list.push(value);
  else map.set(key, [value]);
}

/** Breadth-first memberof of one entry, given its direct groups per entry (`parentsOf`). */
export function memberOfOne(uuid: string, parentsOf: (uuid: string) => readonly string[]): Set<string> {
  const seen = new Set<string>();
  const queue = [...parentsOf(uuid)];
  while (queue.length > 0) {
    const group = queue.pop()!;
    if (seen.has(group)) continue;
    seen.add(group);
    queue.push(...parentsOf(group));
  }
  seen.delete(uuid);
  return seen;
}

/** Breadth-first effective members of one group; `childrenOf` gives [uuid, isGroup] pairs. */
export function effectiveMembersOne(
  group: string,
  childrenOf: (uuid: string) => ReadonlyArray<readonly [string, boolean]>,
): Set<string> {
  const seenGroups = new Set<string>([group]);
  const members = new Set<string>();
  const queue = [group];
  while (queue.length > 0) {
    for (const [child, isGroup] of childrenOf(queue.pop()!)) {
      if (!isGroup) members.add(child);
      else if (!seenGroups.has(child)) {
        seenGroups.add(child);
        queue.push(child);
      }
    }
  }
  return members;
}
