import { describe, expect, it } from 'vitest';
import { acceptKey, encodeFrame } from '../../../src/main/serve/websocket.js';

describe('WebSocket framing (RFC 6455)', () => {
  it('computes the accept key of the RFC example handshake (section 1.3)', () => {
    expect(acceptKey('dGhlIHNhbXBsZSBub25jZQ==')).toBe('s3pPLMBiTxaQ9kYGzzhZRbK+xOo=');
  });

  it('encodes short, 16-bit and 64-bit payload lengths as the RFC lays them out (section 5.2)', () => {
    expect([...encodeFrame(Buffer.from('Hello'))]).toEqual([0x81, 0x05, 0x48, 0x65, 0x6c, 0x6c, 0x6f]); // RFC 5.7 example
    expect([...encodeFrame(Buffer.alloc(256)).subarray(0, 4)]).toEqual([0x81, 126, 0x01, 0x00]);
    const big = encodeFrame(Buffer.alloc(65536));
    expect([...big.subarray(0, 10)]).toEqual([0x81, 127, 0, 0, 0, 0, 0, 1, 0, 0]);
    expect(big.length).toBe(65536 + 10);
    expect([...encodeFrame(Buffer.alloc(0), 0x8)]).toEqual([0x88, 0x00]);
  });
});
