/**
 * The coordination port: which one of the processes sharing a store leads a
 * role (the scheduled jobs). On etcd, a key created only if absent and bound
 * to a lease the leader keeps alive (etcd-store.ts), on the store's own
 * connection and TLS; on LevelDB the one process always leads.
 *
 * A leader learns it may have lost the role before anyone else can take it:
 * it counts its lease from when it asked for the last renewal, not from when
 * the answer came, and gives the role up a margin before that runs out.
 */

/** One process's candidacy for a role, until resigned. */
export interface Campaign {
  /** Whether this process leads the role now. */
  readonly leading: boolean;
  /** Stops campaigning (and leading): the role is free for another at once. */
  resign(): Promise<void>;
}

export interface Coordination {
  /**
   * Campaigns for `role` as `candidate` (a name for logs and leader()):
   * onLead(true) once elected, onLead(false) when the role is lost (lease not
   * renewed in time, store unreachable) or resigned; after a loss it
   * campaigns again. `ttlS` bounds how long a dead leader holds the role.
   */
  campaign(role: string, candidate: string, ttlS: number, onLead: (leading: boolean) => void): Campaign;
  /** The candidate that leads `role` now, if any. */
  leader(role: string): Promise<string | undefined>;
}

/** One process on its own store: it leads every role it campaigns for. */
export function localCoordination(): Coordination {
  const leaders = new Map<string, string>();
  return {
    campaign(role, candidate, _ttlS, onLead) {
      leaders.set(role, candidate);
      let leading = true;
      queueMicrotask(() => leading && onLead(true));
      return {
        get leading() {
          return leading;
        },
        async resign() {
          if (!leading) return;
          leading = false;
          if (leaders.get(role) === candidate) leaders.delete(role);
          onLead(false);
        },
      };
    },
    async leader(role) {
      return leaders.get(role);
    },
  };
}
