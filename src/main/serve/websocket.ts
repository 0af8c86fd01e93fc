// The server side of RFC 6455, only as much as progress events need: the opening handshake and
// unmasked text frames from server to client. Client frames are read only to notice a close.
import { createHash } from 'node:crypto';
import type { IncomingMessage } from 'node:http';
import type { Duplex } from 'node:stream';

const GUID = '258EAFA5-E914-47DA-95CA-C5AB0DC85B11'; // RFC 6455 section 1.3
const OP_TEXT = 0x1;
const OP_CLOSE = 0x8;

/** Sec-WebSocket-Accept for a client's Sec-WebSocket-Key (RFC 6455 section 4.2.2). */
export function acceptKey(key: string): string {
  return createHash('sha1')
    .update(key + GUID)
    .digest('base64');
}

/** One final, unmasked frame (servers never mask, section 5.1) with the 7/16/64-bit length forms. */
export function encodeFrame(payload: Buffer, opcode = OP_TEXT): Buffer {
  const n = payload.length;
  const head = n < 126 ? Buffer.alloc(2) : n < 65536 ? Buffer.alloc(4) : Buffer.alloc(10);
  head[0] = 0x80 | opcode;
  if (n < 126) head[1] = n;
  else if (n < 65536) {
    head[1] = 126;
    head.writeUInt16BE(n, 2);
  } else {
    head[1] = 127;
    head.writeBigUInt64BE(BigInt(n), 2);
  }
  return Buffer.concat([head, payload]);
}

export interface WebSocketPeer {
  send(text: string): void;
  close(): void;
  readonly closed: boolean;
}

/** Completes the handshake on an HTTP upgrade; returns undefined (and answers 400) when it is not one. */
export function acceptWebSocket(req: IncomingMessage, socket: Duplex, onClose: () => void): WebSocketPeer | undefined {
  const key = req.headers['sec-websocket-key'];
  if (req.headers.upgrade?.toLowerCase() !== 'websocket' || typeof key !== 'string') {
    socket.end('HTTP/1.1 400 Bad Request\r\nConnection: close\r\n\r\n');
    return undefined;
  }
  socket.write(
    'HTTP/1.1 101 Switching Protocols\r\nUpgrade: websocket\r\nConnection: Upgrade\r\n' +
      `Sec-WebSocket-Accept: ${acceptKey(key)}\r\n\r\n`,
  );
  let closed = false;
  const finish = () => {
    if (closed) return;
    closed = true;
    onClose();
  };
  socket.on('data', (chunk: Buffer) => {
    // The opcode sits in the low nibble of the first byte of a frame; a close ends the session.
    if (chunk.length > 0 && (chunk[0] & 0x0f) === OP_CLOSE) {
      if (!closed) socket.end(encodeFrame(Buffer.alloc(0), OP_CLOSE));
      finish();
    }
  });
  socket.on('close', finish);
  socket.on('error', finish);
  return {
    send(text) {
      if (!closed) socket.write(encodeFrame(Buffer.from(text, 'utf8')));
    },
    close() {
      if (!closed) socket.end(encodeFrame(Buffer.alloc(0), OP_CLOSE));
      finish();
    },
    get closed() {
      return closed;
    },
  };
}
