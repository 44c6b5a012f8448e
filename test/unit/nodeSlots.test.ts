import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import { createNodeSlots, tasksInHand } from '../../core/nodeSlots.js';

const tick = () => new Promise((r) => setImmediate(r));

/** A request that runs until `finish()` is called. */
function held() {
  let finish!: () => void;
  const done = new Promise<void>((r) => {
    finish = r;
  });
  return { finish, done };
}

describe('node slots', () => {
  test('never more requests at once than the capacity; waiting ones start in order as slots free', async () => {
    const slots = createNodeSlots();
    const started: number[] = [];
    const requests = Array.from({ length: 5 }, () => held());
    const runs = requests.map((r, i) =>
      slots.run('gpu-a', 2, undefined, async () => {
        started.push(i);
        await r.done;
        return i;
      }),
    );
    await tick();
    assert.deepEqual(started, [0, 1]);
    assert.deepEqual(slots.load('gpu-a'), { busy: 2, waiting: 3 });
    requests[1]!.finish();
    await tick();
    assert.deepEqual(started, [0, 1, 2]);
    for (const r of requests) r.finish();
    assert.deepEqual(await Promise.all(runs), [0, 1, 2, 3, 4]);
    assert.deepEqual(started, [0, 1, 2, 3, 4]);
    assert.deepEqual(slots.load('gpu-a'), { busy: 0, waiting: 0 });
  });

  test('a failed request frees its slot', async () => {
    const slots = createNodeSlots();
    await assert.rejects(
      slots.run('gpu-a', 1, undefined, async () => {
        throw new Error('503');
      }),
      /503/,
    );
    assert.equal(await slots.run('gpu-a', 1, undefined, async () => 'next'), 'next');
  });

  test('a cancelled wait gives up its place and never runs; the others are not held up', async () => {
    const slots = createNodeSlots();
    const first = held();
    const running = slots.run('gpu-a', 1, undefined, () => first.done);
    const abort = new AbortController();
    let ran = false;
    const cancelled = slots.run('gpu-a', 1, abort.signal, async () => {
      ran = true;
    });
    const third = slots.run('gpu-a', 1, undefined, async () => 'third');
    await tick();
    abort.abort(new Error('call cancelled'));
    await assert.rejects(cancelled, /call cancelled/);
    assert.deepEqual(slots.load('gpu-a'), { busy: 1, waiting: 1 });
    first.finish();
    await running;
    assert.equal(await third, 'third');
    assert.equal(ran, false);
    // An already-cancelled request does not even wait.
    await assert.rejects(
      slots.run('gpu-a', 1, abort.signal, async () => 'x'),
      /call cancelled/,
    );
  });

  test('each node has its own slots', async () => {
    const slots = createNodeSlots();
    const a = held();
    const onA = slots.run('gpu-a', 1, undefined, () => a.done);
    assert.equal(await slots.run('gpu-b', 1, undefined, async () => 'b ran'), 'b ran');
    a.finish();
    await onA;
  });

  test('a worker holds a few tasks more than the node has slots', () => {
    assert.deepEqual([1, 2, 4, 16].map(tasksInHand), [2, 3, 6, 24]);
  });
});
