import { describe, expect, it, vi } from 'vitest';
import { API_METHODS, type MemLensApi } from '../../../src/shared/api.js';
import { API_SPECS, dispatch } from '../../../src/main/engine/dispatch.js';
import { MemLensError } from '../../../src/main/engine/errors.js';
import { STRATEGY_NAMES } from '../../../src/shared/strategies.js';

/** An API whose every method records its request and answers 'ok'. */
function fakeApi() {
  const calls: [string, unknown][] = [];
  const api = Object.fromEntries(
    API_METHODS.map((m) => [m, async (req: unknown) => (calls.push([m, req]), 'ok')]),
  ) as unknown as MemLensApi;
  return { api, calls };
}

describe('dispatch (the boundary for untrusted callers)', () => {
  it('has a request spec for every API method', () => {
    expect(Object.keys(API_SPECS).sort()).toEqual([...API_METHODS].sort());
  });

  it('passes a well-formed call through and wraps the result', async () => {
    const { api, calls } = fakeApi();
    const req = {
      model: '/m.onnx',
      data: '/d',
      views: 3,
      augment: 'none',
      layers: ['conv1'],
      jobId: 'j',
      size: [28, 28],
    };
    expect(await dispatch(api, 'unitmem', req)).toEqual({ result: 'ok' });
    expect(calls).toEqual([['unitmem', req]]);
    expect(await dispatch(api, 'demoProject', undefined)).toEqual({ result: 'ok' });
  });

  it.each([
    ['rm', {}, 'unknown method "rm"'],
    ['__proto__', {}, 'unknown method "__proto__"'],
    [42, {}, 'unknown method 42'],
    ['openProject', 'path', 'openProject: the request must be a plain object'],
    ['openProject', ['a'], 'openProject: the request must be a plain object'],
    ['openProject', {}, "openProject: missing field 'path'"],
    ['openProject', { path: 3 }, "openProject: field 'path' must be a string"],
    ['openProject', { path: '/p', extra: 1 }, "openProject: unknown field 'extra'"],
    [
      'prune',
      { model: 'm', strategy: 'biggest', ratio: 0.2, scope: 'layer' },
      `prune: field 'strategy' must be one of ${STRATEGY_NAMES.join(', ')}`,
    ],
    [
      'prune',
      { model: 'm', strategy: 'low', ratio: Number.NaN, scope: 'layer' },
      "prune: field 'ratio' must be a finite number",
    ],
    [
      'compare',
      { model: 'm', data: 'd', train: 't', test: 't', strategies: ['low', 'x'], ratios: [0.1] },
      `compare: field 'strategies' must be one of ${STRATEGY_NAMES.join(', ')}`,
    ],
    ['unitmem', { model: 'm', data: 'd', augment: 'heavy' }, "unitmem: field 'augment' must be one of simclr, none"],
    [
      'saveExport',
      { path: 'a.png', content: 'x', encoding: 'hex' },
      "saveExport: field 'encoding' must be one of utf8, base64",
    ],
    ['demoProject', { path: 'x' }, 'demoProject: takes no request'],
  ])('rejects %s %j with a one-line BAD_INPUT', async (method, req, message) => {
    const { api, calls } = fakeApi();
    expect(await dispatch(api, method, req)).toEqual({ error: message, code: 'BAD_INPUT' });
    expect(calls).toEqual([]);
  });

  it("carries the engine's own message and code; plain errors keep their message", async () => {
    const api = {
      inspect: async () => {
        throw new MemLensError('BAD_MODEL', 'model /x.onnx is not an ONNX file');
      },
      openProject: vi.fn(async () => {
        throw new TypeError('boom');
      }),
    } as unknown as MemLensApi;
    expect(await dispatch(api, 'inspect', { model: '/x.onnx' })).toEqual({
      error: 'model /x.onnx is not an ONNX file',
      code: 'BAD_MODEL',
    });
    expect(await dispatch(api, 'openProject', { path: '/p' })).toEqual({ error: 'boom' });
  });
});
