// A node's request slots inside the process that polls its queue. The worker takes a few more of the node's
// tasks than the node has slots (`tasksInHand`): a task's database reads and writes, and the poll for the next
// task, then happen while the node is busy with another request, instead of leaving a slot idle between two
// requests. Requests to the node itself never exceed its capacity: they wait here, first come first served.

/** Tasks a node's worker holds at once: its capacity, plus half as many again (at least one) waiting here. */
export function tasksInHand(capacity: number): number {
  return capacity + Math.max(1, Math.ceil(capacity / 2));
}

type Waiter = {
  resolve: () => void;
  reject: (reason: unknown) => void;
  signal?: AbortSignal;
  onAbort: () => void;
};

export function createNodeSlots() {
  const nodes = new Map<string, { busy: number; waiting: Waiter[] }>();
  const of = (id: string) => {
    const known = nodes.get(id);
    if (known) return known;
    const n = { busy: 0, waiting: [] as Waiter[] };
    nodes.set(id, n);
    return n;
  };

  async function acquire(id: string, capacity: number, signal?: AbortSignal): Promise<void> {
    signal?.throwIfAborted();
    const n = of(id);
    if (n.busy < capacity) {
      n.busy++;
      return;
    }
    await new Promise<void>((resolve, reject) => {
      const waiter: Waiter = {
        resolve,
        reject,
        ...(signal && { signal }),
        onAbort: () => {
          n.waiting.splice(n.waiting.indexOf(waiter), 1);
          reject(signal?.reason);
        },
      };
      signal?.addEventListener('abort', waiter.onAbort, { once: true });
      n.waiting.push(waiter);
    });
  }

  function release(id: string): void {
    const n = of(id);
    // The slot passes straight to the next waiter, so no newcomer slips in between.
    const next = n.waiting.shift();
    if (next) {
      next.signal?.removeEventListener('abort', next.onAbort);
      next.resolve();
    } else n.busy--;
  }

  return {
    /** Runs `work` holding one of node `id`'s `capacity` slots; a cancelled wait gives up its place. */
    async run<T>(
      id: string,
      capacity: number,
      signal: AbortSignal | undefined,
      work: () => Promise<T>,
    ): Promise<T> {
      await acquire(id, capacity, signal);
      try {
        return await work();
      } finally {
        release(id);
      }
    },
    /** Requests holding a slot and requests waiting, for one node. */
    load(id: string): { busy: number; waiting: number } {
      const n = of(id);
      return { busy: n.busy, waiting: n.waiting.length };
    },
  };
}

export type NodeSlots = ReturnType<typeof createNodeSlots>;
