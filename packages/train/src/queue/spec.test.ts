import { describe, expect, it } from 'vitest';
import { resolveConfig } from '../config/load';
import { connectionOf } from './queue';
import { runIdOf, runSpecOf } from './spec';

const config = (overrides: Record<string, unknown> = {}) => resolveConfig({ preset: 'quick', overrides: [overrides] });

describe('run spec and id', () => {
  it('the id is a function of what determines the numbers, not of where or on which backend a run goes', () => {
    const id = runIdOf(runSpecOf(config(), 'sha256:data'));
    expect(id).toMatch(/^run-[0-9a-f]{24}$/);
    expect(runIdOf(runSpecOf(config({ runDir: 'elsewhere', backend: 'cpu' }), 'sha256:data'))).toBe(id);
    expect(runIdOf(runSpecOf(config({ seed: 1 }), 'sha256:data'))).not.toBe(id);
    expect(runIdOf(runSpecOf(config({ objective: { innerSteps: 4 } }), 'sha256:data'))).not.toBe(id);
    expect(runIdOf(runSpecOf(config(), 'sha256:other-data'))).not.toBe(id);
    // Key order does not matter: the spec is hashed as canonical JSON.
    const spec = runSpecOf(config(), 'sha256:data');
    const reversed = <T extends object>(o: T): T => Object.fromEntries(Object.entries(o).reverse()) as T;
    expect(runIdOf(reversed({ ...spec, config: reversed(spec.config) }))).toBe(id);
  });

  it('reads Redis URLs and rejects anything else with the fix', () => {
    expect(connectionOf('redis://127.0.0.1:6390/2')).toMatchObject({ host: '127.0.0.1', port: 6390, db: 2, maxRetriesPerRequest: null });
    expect(connectionOf('redis://:secret@cache')).toMatchObject({ host: 'cache', port: 6379, db: 0, password: 'secret' });
    expect(() => connectionOf('http://127.0.0.1:6379')).toThrow(/is not a Redis URL.*redis:\/\/host:port\/db/s);
    expect(() => connectionOf('localhost:6379')).toThrow(/is not a Redis URL/);
  });
});
