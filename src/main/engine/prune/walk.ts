// What a coupling rule sees of the walk that builds a dependency group (groups.ts): the graph, the
// group so far, and the moves it may make. The per-op rules live in groups.ts, the residual stream's
// in stream.ts.
import type { GraphIndex, NodeProto } from '../onnx/index.js';
import type { ChannelMap, Group } from './groups.js';
import type { LayerNode } from './layers.js';

/** How a tensor of the space is laid out: which axis holds the channels and where this space sits in it. */
export interface Member {
  map: ChannelMap;
  /** Channel axis counted from the end. */
  axis: number;
  rank?: number;
  /** Channels of the tensor along the axis (the space may be only part of them, after a Concat). */
  width: number;
  /** After a Flatten: channels are blocks of `inner` columns, inner = columns / width. */
  flat: boolean;
}

export interface Walk {
  readonly index: GraphIndex;
  /** The model's layers (with the names results use) by node. */
  readonly layers: Map<NodeProto, LayerNode>;
  readonly group: Group;
  /** Gathers of a Shape entry holding the channel count, and the target entries accounting for it (stream.ts). */
  readonly widthReads: string[];
  readonly widthEntries: Set<string>;
  /** The group cannot be cut, for `reason` (the first one given stays). */
  block(reason: string): void;
  /** Visits `tensor`, laid out as `m`, from `node` (which is then handled for it). */
  follow(node: NodeProto, tensor: string, m: Member): void;
  /** The channels' slice of `param` along `axis` goes with the group. */
  slice(param: string, axis: number, map: ChannelMap): void;
}
