// Every dashboard page says which stages the simulator answers, so nobody takes a made-up transcript or score
// for a model's; a fleet of real servers gets no such notice.
import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';
import { type ApiApp, openApiApp } from '../support/apiApp.js';

const notice = async (app: ApiApp['app'], path: string) => {
  const res = await app.request(path);
  assert.equal(res.status, 200);
  return /data-simulated="([^"]*)"/.exec(await res.text())?.[1] ?? null;
};

describe('the simulator notice', () => {
  const apps: Record<string, ApiApp> = {};
  before(async () => {
    apps.simulated = await openApiApp({ COFI_FLEET: 'simulated' });
    apps.cpu = await openApiApp({ COFI_FLEET: 'cpu' });
    apps.real = await openApiApp({ COFI_FLEET: 'cpu+llm' });
  });
  after(async () => {
    for (const a of Object.values(apps)) await a.stop();
  });

  test('the simulated fleet: every stage named, on every page', async () => {
    for (const path of ['/', '/ui/batches/1', '/ui/calls/1', '/docs'])
      assert.equal(await notice(apps.simulated!.app, path), 'LID,STT,LLM1,LLM2', path);
  });

  test('real speech with a simulated LLM: only the LLM stages', async () => {
    assert.equal(await notice(apps.cpu!.app, '/'), 'LLM1,LLM2');
  });

  test('no simulated entry: no notice', async () => {
    assert.equal(await notice(apps.real!.app, '/'), null);
  });
});
