// The two-pass encoder against protobufjs's own encoder (an independent implementation of the same
// wire format): same bytes for every field kind the ONNX schema uses.
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { encodeMessage } from '../../../src/main/engine/onnx/encode.js';
import {
  AttributeType,
  create,
  DataType,
  decodeModel,
  encodeModelChunks,
  messageType,
} from '../../../src/main/engine/onnx/index.js';

const FIX = join(__dirname, '..', '..', 'fixtures', 'onnx');
const reference = (name: Parameters<typeof messageType>[0], m: object) =>
  Buffer.from(
    messageType(name)
      .encode(m as never)
      .finish(),
  );
const ours = (name: Parameters<typeof messageType>[0], m: object) => Buffer.concat(encodeMessage(m, messageType(name)));

describe('encodeMessage', () => {
  it('matches protobufjs on scalars, negatives, packed and unpacked repeats, unicode strings, nesting', () => {
    const tensor = create('TensorProto', {
      name: 'ünï/ç0de ✓',
      dims: [3, 0, 2 ** 40],
      data_type: DataType.DOUBLE,
      float_data: [1.5, -0, NaN, 3.4e38],
      int32_data: [-1, 0, 127, 128, 2 ** 31 - 1, -(2 ** 31)],
      int64_data: [-5, 2 ** 53 - 1, 300],
      double_data: [Math.PI, -1e-300],
      uint64_data: [0, 2 ** 50],
      string_data: [Buffer.from('a'), new Uint8Array(0)],
      raw_data: Buffer.alloc(300, 7),
      data_location: 1,
    });
    const attr = create('AttributeProto', {
      name: 'a',
      type: AttributeType.INTS,
      ints: [-1, 1],
      f: -2.5,
      i: -7,
      t: tensor,
      floats: [0.25],
    });
    const node = create('NodeProto', {
      op_type: 'X',
      input: ['', 'x'],
      attribute: [attr, create('AttributeProto', { name: 'b', type: AttributeType.FLOAT, f: 0 })],
    });
    expect(ours('NodeProto', node).equals(reference('NodeProto', node))).toBe(true);
    expect(ours('TensorProto', tensor).equals(reference('TensorProto', tensor))).toBe(true);
  });

  it('writes unknown fields last, as protobufjs does', () => {
    const m = create('StringStringEntryProto', { key: 'k' });
    Object.defineProperty(m, '$unknowns', { value: [Uint8Array.from([0x98, 0x06, 0x07])], enumerable: false });
    expect(ours('StringStringEntryProto', m)).toEqual(Buffer.from([0x0a, 0x01, 0x6b, 0x98, 0x06, 0x07]));
  });

  it('encodes int64 bigints beyond 2^53 as two-complement varints', () => {
    const a = create('AttributeProto', { i: -1n, ints: [2n ** 63n - 1n] });
    // field 3 varint: ten bytes of -1; field 8: INT64_MAX = 9 bytes (0xff x8, 0x7f).
    const want = Buffer.from([0x18, ...new Array(9).fill(0xff), 0x01, 0x40, ...new Array(8).fill(0xff), 0x7f]);
    expect(ours('AttributeProto', a)).toEqual(want);
  });

  it('chunks: large weights are the tensors own buffers, and the chunks concatenate to the model', () => {
    const proto = decodeModel(readFileSync(join(FIX, 'vit-opset17.onnx')));
    const big = create('TensorProto', {
      name: 'big',
      dims: [20000],
      data_type: DataType.FLOAT,
      raw_data: Buffer.alloc(80000, 1),
    });
    proto.graph!.initializer = [...proto.graph!.initializer, big];
    const chunks = encodeModelChunks(proto);
    expect(chunks).toContain(big.raw_data);
    expect(Buffer.concat(chunks).equals(reference('ModelProto', proto))).toBe(true);
  });
});
