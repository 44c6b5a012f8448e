// GET /calls/search on the real database: each filter narrows to the calls it names, words are found through the
// full-text index, keyset pages are stable in every sort order, erased calls are never found, and bad filters are
// 422s naming the parameter. Every query names this file's batch, so other tests' calls never interfere.
import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';
import { type ApiApp, openApiApp } from '../support/apiApp.js';
import { type SearchSeed, seedSearch } from './searchSeed.js';

type Found = {
  call_id: number;
  score: number | null;
  created_at: string;
  call_started_at: string | null;
  reviewed: boolean;
  status: string;
  category: string | null;
};
type Page = { calls: Found[]; next_cursor: string | null; words: string[]; detail?: string };

let api: ApiApp;
let seed: SearchSeed;
before(async () => {
  api = await openApiApp();
  seed = await seedSearch(api);
});
after(async () => {
  await seed?.cleanup();
  await api?.stop();
});

async function search(query: string): Promise<{ status: number; body: Page }> {
  const res = await api.app.request(`/calls/search?batch_id=${seed.batchId}&${query}`);
  return { status: res.status, body: (await res.json()) as Page };
}
const idsOf = async (query: string) => {
  const { status, body } = await search(`limit=200&${query}`);
  assert.equal(status, 200, JSON.stringify(body));
  return body.calls.map((c) => c.call_id).sort((a, b) => a - b);
};
const sorted = (...ids: number[]) => [...ids].sort((a, b) => a - b);

describe('GET /calls/search: filters', () => {
  test('without filters: every call of the batch except the erased one', async () => {
    const ids = await idsOf('');
    assert.equal(ids.length, 33);
    assert.ok(!ids.includes(seed.ids.erased!), 'an erased call is never found');
  });

  test('each filter narrows to the calls it names', async () => {
    const { refund, kuendigung, failed } = seed.ids as Record<string, number>;
    assert.deepEqual(await idsOf('agent_id=agent-a'), sorted(refund!, failed!));
    assert.deepEqual(await idsOf('team=team-1'), sorted(refund!, kuendigung!));
    assert.deepEqual(await idsOf('team=team-1&agent_id=agent-b'), [kuendigung]);
    assert.deepEqual(await idsOf('language=de'), [kuendigung]);
    assert.deepEqual(await idsOf('process_id=2'), [kuendigung]);
    assert.deepEqual(await idsOf('category=billing'), [refund]);
    assert.deepEqual(await idsOf('status=Failed'), [failed]);
    assert.deepEqual(await idsOf('direction=outbound'), [kuendigung]);
    assert.deepEqual(await idsOf('customer_reference=CUST-0042'), [kuendigung]);
    assert.deepEqual(await idsOf('customer_reference=CUST-0043'), []);
    assert.deepEqual(await idsOf('reviewed=true'), [refund]);
    assert.equal((await idsOf('reviewed=false')).length, 32);
    assert.deepEqual(await idsOf('score_min=85&team=team-1'), [refund]);
    assert.equal((await idsOf('score_min=85')).length, 3, 'refund and two paging calls scored 90');
    assert.deepEqual(await idsOf('agent_id=agent-b&score_max=40'), [kuendigung]);
    assert.deepEqual(await idsOf('agent_id=agent-b&score_max=39.9'), []);
    // The received date: a date alone as upper bound includes its whole day.
    assert.deepEqual(await idsOf('from=2026-03-02&to=2026-03-03'), sorted(kuendigung!, failed!));
    assert.deepEqual(await idsOf('to=2026-03-01'), [refund]);
    assert.deepEqual(await idsOf('from=2026-03-02T08:00:00.001Z&to=2026-03-03T23:00:00Z'), [failed]);
    // The call's own start time (metadata): calls without one are left out.
    assert.deepEqual(await idsOf('started_from=2026-02-27&started_to=2026-02-27'), [refund]);
    assert.deepEqual(await idsOf('started_from=2026-02-28&team=team-1'), [kuendigung]);
  });

  test('words in the transcript, through the full-text index: all words, any case, umlauts', async () => {
    const { refund, kuendigung } = seed.ids as Record<string, number>;
    assert.deepEqual(await idsOf('q=refund'), [refund]);
    assert.deepEqual(await idsOf('q=REFUND%20invoice'), [refund]);
    assert.deepEqual(await idsOf('q=refund%20vertrags'), [], 'every word must be in the same transcript');
    assert.deepEqual(await idsOf(`q=${encodeURIComponent('Kündigung')}`), [kuendigung]);
    // Common and short words are not in the index: they are dropped, and said so in `words`.
    const { body } = await search('q=the%20refund%20of%20an%20ok');
    assert.deepEqual(body.words, ['refund']);
    assert.deepEqual(
      body.calls.map((c) => c.call_id),
      [refund],
    );
    // Boolean-mode operators are not passed through: a minus is a separator, not "without".
    assert.deepEqual(await idsOf('q=refund%20-invoice'), [refund]);
    assert.deepEqual(await idsOf('q=refund&language=de'), []);
  });

  test('a call shows its metadata and no transcript text', async () => {
    const { body } = await search(`agent_id=agent-a&status=Completed`);
    assert.equal(body.calls.length, 1);
    const [c] = body.calls as (Found & Record<string, unknown>)[];
    assert.deepEqual(c, {
      call_id: seed.ids.refund,
      batch_id: seed.batchId,
      audio_name: 'refund, "quoted"\nname.wav',
      process_id: 1,
      status: 'Completed',
      language: 'en',
      category: 'billing',
      sub_category: 'refund',
      score: 90,
      agent_id: 'agent-a',
      team: 'team-1',
      direction: 'inbound',
      call_started_at: '2026-02-27T10:00:00.000Z',
      created_at: '2026-03-01T08:00:00.000Z',
      reviewed: true,
    });
  });
});

describe('GET /calls/search: pages and order', () => {
  /** Every page of a query, with the cursor the previous one gave. */
  async function allPages(query: string, limit: number): Promise<Found[][]> {
    const pages: Found[][] = [];
    let cursor: string | null = null;
    do {
      const { status, body }: { status: number; body: Page } = await search(
        `agent_id=agent-p&limit=${limit}&${query}${cursor ? `&cursor=${cursor}` : ''}`,
      );
      assert.equal(status, 200, JSON.stringify(body));
      pages.push(body.calls);
      cursor = body.next_cursor;
    } while (cursor && pages.length < 50);
    return pages;
  }

  const key = {
    id: (c: Found) => c.call_id,
    score: (c: Found) => c.score,
    created_at: (c: Found) => c.created_at,
    started_at: (c: Found) => c.call_started_at,
  } as const;

  /** The order a sort promises: by value (missing lowest), ties by id, all reversed for `-`. */
  function expectedOrder(calls: Found[], sort: string): number[] {
    const descending = sort.startsWith('-');
    const get = key[(descending ? sort.slice(1) : sort) as keyof typeof key];
    const cmp = (a: Found, b: Found) => {
      const x = get(a);
      const y = get(b);
      if (x !== y) {
        if (x === null) return -1;
        if (y === null) return 1;
        return x < y ? -1 : 1;
      }
      return a.call_id - b.call_id;
    };
    const out = [...calls].sort(cmp).map((c) => c.call_id);
    return descending ? out.reverse() : out;
  }

  for (const sort of [
    'id',
    '-id',
    'score',
    '-score',
    'created_at',
    '-created_at',
    'started_at',
    '-started_at',
  ])
    test(`sort=${sort}: pages of 7 cover every call once, in the promised order`, async () => {
      const pages = await allPages(`sort=${sort}`, 7);
      assert.equal(pages.length, 5, 'five pages of 7 for 30 calls');
      const seen = pages.flat();
      assert.equal(new Set(seen.map((c) => c.call_id)).size, 30, 'no call twice, none missing');
      assert.deepEqual(
        seen.map((c) => c.call_id),
        expectedOrder(seen, sort),
      );
      // The same query again gives the same pages.
      assert.deepEqual(
        (await allPages(`sort=${sort}`, 7)).map((p) => p.map((c) => c.call_id)),
        pages.map((p) => p.map((c) => c.call_id)),
      );
    });

  test('default order is newest received first', async () => {
    const { body } = await search('agent_id=agent-p&limit=3');
    assert.deepEqual(
      body.calls.map((c) => c.call_id),
      [seed.paging[29], seed.paging[28], seed.paging[27]],
    );
  });
});

describe('GET /calls/search: bad input is a 422 naming the parameter', () => {
  const cases: [string, RegExp][] = [
    ['from=yesterday', /^query parameter from: from must be an ISO date/],
    ['to=2026-02-30', /^query parameter to: /],
    ['started_from=2026-13-01', /^query parameter started_from: /],
    ['from=2026-03-02&to=2026-03-01', /^query parameter from: from is greater than to/],
    ['score_min=101', /^query parameter score_min: score_min must be from 0 to 100/],
    ['score_max=abc', /^query parameter score_max: /],
    ['score_max=', /^query parameter score_max: score_max must be a number from 0 to 100/],
    ['score_min=-5', /^query parameter score_min: score_min must be a number from 0 to 100/],
    ['score_min=80&score_max=20', /^query parameter score_min: score_min is greater than score_max/],
    ['process_id=0', /^query parameter process_id: /],
    ['process_id=1.5', /^query parameter process_id: /],
    ['status=Erased', /^query parameter status: status must be one of .*erased calls are never found/],
    ['status=done', /^query parameter status: /],
    ['direction=sideways', /^query parameter direction: /],
    ['reviewed=yes', /^query parameter reviewed: reviewed must be true or false/],
    ['language=english', /^query parameter language: /],
    ['agent_id=', /^query parameter agent_id: agent_id must not be empty/],
    [`team=${'x'.repeat(65)}`, /^query parameter team: team is longer than 64/],
    ['q=the%20of%20an', /^query parameter q: q has no word the full-text index holds/],
    [
      `q=${'word '.repeat(11).replace(/word/g, (_, i) => `word${i}`)}`,
      /^query parameter q: q has more than 10 words/,
    ],
    ['sort=audio_name', /^query parameter sort: sort must be one of created_at, -created_at/],
    ['limit=201', /^query parameter limit: /],
    ['limit=0', /^query parameter limit: /],
    ['cursor=garbage', /^query parameter cursor: cursor is not valid/],
  ];
  for (const [query, detail] of cases)
    test(query.slice(0, 60), async () => {
      const { status, body } = await search(query);
      assert.equal(status, 422, JSON.stringify(body));
      assert.match(body.detail ?? '', detail);
    });

  test('a cursor made for another sort is refused, saying so', async () => {
    const { body } = await search('agent_id=agent-p&limit=2&sort=score');
    assert.ok(body.next_cursor);
    const { status, body: refused } = await search(`agent_id=agent-p&sort=-id&cursor=${body.next_cursor}`);
    assert.equal(status, 422);
    assert.match(refused.detail ?? '', /cursor was made for sort score, not -id/);
  });

  test('/calls/search is not taken for a call id', async () => {
    const res = await api.app.request('/calls/search?limit=1');
    assert.equal(res.status, 200);
    assert.ok(Array.isArray(((await res.json()) as Page).calls));
  });
});
