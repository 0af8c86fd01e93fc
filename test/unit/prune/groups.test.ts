import { describe, expect, it } from 'vitest';
import { indexModel, loadModel } from '../../../src/main/engine/onnx/index.js';
import { buildGroups, channelIndices, type Group } from '../../../src/main/engine/prune/groups.js';
import { findLayers } from '../../../src/main/engine/prune/layers.js';
import { fixture } from './support.js';

// The expected couplings are read off the fixtures' PyTorch definitions (scripts/make-prune-fixtures.py).
async function groupsOf(name: string, embeddingWidth = false) {
  const model = await loadModel(fixture(name));
  const index = indexModel(model.proto);
  const groups = buildGroups(index, findLayers(model, index), undefined, embeddingWidth);
  const by = (layer: string): Group => groups.find((g) => g.sources.some((s) => s.layer.name === layer))!;
  const slices = (g: Group) => g.slices.map((s) => `${s.param}@${s.axis}+${s.offset}x${s.inner}`);
  return { groups, by, slices };
}

describe('dependency groups', () => {
  it('cnn: a residual Add couples its producers; Flatten after global pooling feeds the head', async () => {
    const { groups, by, slices } = await groupsOf('cnn');
    expect(groups.map((g) => g.sources.map((s) => s.layer.name))).toEqual([
      ['/prep/prep.0/Conv'],
      ['/layer1/layer1.0/Conv', '/res1/res1.1/res1.1.0/Conv'],
      ['/res1/res1.0/res1.0.0/Conv'],
      ['/layer2/layer2.0/Conv'],
      ['/head/Gemm'],
    ]);
    expect(groups.every((g) => !g.blocked)).toBe(true);
    // layer2's 8 channels are 8 head inputs (1x1 after GlobalAveragePool)
    expect(slices(by('/layer2/layer2.0/Conv'))).toContain('head.weight@1+0x1');
    expect(by('/head/Gemm').outputs.map((o) => o.name)).toEqual(['embedding']);
    expect(by('/layer2/layer2.0/Conv').outputs).toEqual([]);
  });

  it('branches: BN, depthwise follower, Concat offsets, grouped conv, Reshape column blocks', async () => {
    const { by, slices } = await groupsOf('branches');
    const c1 = by('/conv1/Conv');
    expect(c1.followers.map((f) => f.layer.name)).toEqual(['/dw/Conv']);
    expect(c1.groupAttrs.map((a) => a.node.name)).toEqual(['/dw/Conv']);
    expect(new Set(slices(c1))).toEqual(
      new Set([
        'conv1.weight@0+0x1',
        'conv1.bias@0+0x1',
        'bn1.weight@0+0x1',
        'bn1.bias@0+0x1',
        'bn1.running_mean@0+0x1',
        'bn1.running_var@0+0x1',
        'dw.weight@0+0x1',
        'dw.bias@0+0x1',
        'a.weight@1+0x1',
        'b.weight@1+0x1',
      ]),
    );
    // cat([a (4 channels), b (3)]): b's channels start at 4 in conv3's input
    expect(slices(by('/a/Conv'))).toContain('conv3.weight@1+0x1');
    expect(slices(by('/b/Conv'))).toContain('conv3.weight@1+4x1');
    expect(by('/conv3/Conv').blocked).toMatch(/consumer \/grouped\/Conv is a grouped conv \(group=2\)/);
    expect(by('/grouped/Conv').blocked).toMatch(/grouped conv/);
    // conv5: 5 channels of 4x4 reshaped to [-1, 80] head inputs: 16 columns per channel, and the
    // Reshape target's 80 must shrink with them
    expect(slices(by('/conv5/Conv'))).toContain('head.weight@1+0x16');
    expect(by('/conv5/Conv').reshapes.map((r) => [r.index, r.width])).toEqual([[1, 5]]);
    expect(by('/conv5/Conv').blocked).toBeUndefined();
  });

  it('vit: MLP fc1 neurons are fc2 input rows, qkv has heads; the residual stream passes LayerNorms but not the class-token Gather', async () => {
    const { by, slices } = await groupsOf('vit');
    for (const b of [0, 1]) {
      const fc1 = by(`/blocks/blocks.${b}/fc1/MatMul`);
      expect(fc1.blocked).toBeUndefined();
      const fc1W = fc1.sources[0].layer.weight;
      const fc2W = by(`/blocks/blocks.${b}/fc2/MatMul`).sources[0].layer.weight;
      expect(new Set(slices(fc1))).toEqual(new Set([`${fc1W}@1+0x1`, `blocks.${b}.fc1.bias@0+0x1`, `${fc2W}@0+0x1`]));
      // The residual stream (the embedding width) passes the LayerNorms but reaches the class-token
      // Gather: it stays masked.
      for (const l of ['fc2', 'attn/proj']) {
        expect(by(`/blocks/blocks.${b}/${l}/MatMul`).blocked).toBe(
          'Gather /Gather_1 (Gather is not a per-channel op the pruner can follow)',
        );
      }
      // The fused qkv layer's channels are the 8 dimensions of its 2 heads (heads.test.ts).
      expect(by(`/blocks/blocks.${b}/attn/qkv/MatMul`)).toMatchObject({
        channels: 8,
        heads: { unit: 'dims', count: 2, size: 8 },
      });
    }
  });

  it('vit with embeddingWidth: a stream whose rank the graph does not say stays masked, with the reason', async () => {
    // The fixture carries no value_info and its blocks' MatMuls fix no rank: the class-token Concat
    // along axis 1 cannot be placed (the torchvision ViT is cut: test/integration/prune-zoo.test.ts).
    const { by } = await groupsOf('vit', true);
    expect(by('/blocks/blocks.0/fc2/MatMul').blocked).toBe('Concat /Concat_2: the rank of its inputs is unknown');
  });
});

describe('channelIndices', () => {
  it('expands offset, depthwise block and flatten columns', () => {
    expect(channelIndices({ offset: 0, block: 1, inner: 1 }, 3)).toEqual([3]);
    expect(channelIndices({ offset: 4, block: 1, inner: 1 }, 1)).toEqual([5]);
    expect(channelIndices({ offset: 0, block: 2, inner: 1 }, 1)).toEqual([2, 3]);
    expect(channelIndices({ offset: 0, block: 1, inner: 4 }, 2)).toEqual([8, 9, 10, 11]);
  });
});
