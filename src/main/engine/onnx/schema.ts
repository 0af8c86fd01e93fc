// The ONNX protobuf schema, written from onnx/onnx.proto (IR version 10) for protobufjs (the TS views
// of the decoded messages are in types.ts). Field numbers and `packed` options follow the spec exactly so that a
// file written here is what onnx.proto's own serializer would accept; fields this schema does not
// know (newer IR versions, ONNX-ML extensions) are kept by protobufjs in `$unknowns` and re-emitted.
import protobuf from 'protobufjs';
import type { MessageName, MessageTypes } from './types.js';

export * from './types.js';

const ONNX_PROTO = `
syntax = "proto2";
package onnx;

message AttributeProto {
  enum AttributeType {
    UNDEFINED = 0; FLOAT = 1; INT = 2; STRING = 3; TENSOR = 4; GRAPH = 5; SPARSE_TENSOR = 11;
    TYPE_PROTO = 13; FLOATS = 6; INTS = 7; STRINGS = 8; TENSORS = 9; GRAPHS = 10;
    SPARSE_TENSORS = 12; TYPE_PROTOS = 14;
  }
  optional string name = 1;
  optional string ref_attr_name = 21;
  optional string doc_string = 13;
  optional AttributeType type = 20;
  optional float f = 2;
  optional int64 i = 3;
  optional bytes s = 4;
  optional TensorProto t = 5;
  optional GraphProto g = 6;
  optional SparseTensorProto sparse_tensor = 22;
  optional TypeProto tp = 14;
  repeated float floats = 7;
  repeated int64 ints = 8;
  repeated bytes strings = 9;
  repeated TensorProto tensors = 10;
  repeated GraphProto graphs = 11;
  repeated SparseTensorProto sparse_tensors = 23;
  repeated TypeProto type_protos = 15;
}

message ValueInfoProto {
  optional string name = 1;
  optional TypeProto type = 2;
  optional string doc_string = 3;
  repeated StringStringEntryProto metadata_props = 4;
}

message NodeProto {
  repeated string input = 1;
  repeated string output = 2;
  optional string name = 3;
  optional string op_type = 4;
  optional string domain = 7;
  optional string overload = 8;
  repeated AttributeProto attribute = 5;
  optional string doc_string = 6;
  repeated StringStringEntryProto metadata_props = 9;
}

message TrainingInfoProto {
  optional GraphProto initialization = 1;
  optional GraphProto algorithm = 2;
  repeated StringStringEntryProto initialization_binding = 3;
  repeated StringStringEntryProto update_binding = 4;
}

message ModelProto {
  optional int64 ir_version = 1;
  repeated OperatorSetIdProto opset_import = 8;
  optional string producer_name = 2;
  optional string producer_version = 3;
  optional string domain = 4;
  optional int64 model_version = 5;
  optional string doc_string = 6;
  optional GraphProto graph = 7;
  repeated StringStringEntryProto metadata_props = 14;
  repeated TrainingInfoProto training_info = 20;
  repeated FunctionProto functions = 25;
}

message StringStringEntryProto {
  optional string key = 1;
  optional string value = 2;
}

message TensorAnnotation {
  optional string tensor_name = 1;
  repeated StringStringEntryProto quant_parameter_tensor_names = 2;
}

message GraphProto {
  repeated NodeProto node = 1;
  optional string name = 2;
  repeated TensorProto initializer = 5;
  repeated SparseTensorProto sparse_initializer = 15;
  optional string doc_string = 10;
  repeated ValueInfoProto input = 11;
  repeated ValueInfoProto output = 12;
  repeated ValueInfoProto value_info = 13;
  repeated TensorAnnotation quantization_annotation = 14;
  repeated StringStringEntryProto metadata_props = 16;
}

message TensorProto {
  message Segment {
    optional int64 begin = 1;
    optional int64 end = 2;
  }
  enum DataLocation { DEFAULT = 0; EXTERNAL = 1; }
  repeated int64 dims = 1;
  optional int32 data_type = 2;
  optional Segment segment = 3;
  repeated float float_data = 4 [packed = true];
  repeated int32 int32_data = 5 [packed = true];
  repeated bytes string_data = 6;
  repeated int64 int64_data = 7 [packed = true];
  optional string name = 8;
  optional string doc_string = 12;
  optional bytes raw_data = 9;
  repeated StringStringEntryProto external_data = 13;
  optional DataLocation data_location = 14;
  repeated double double_data = 10 [packed = true];
  repeated uint64 uint64_data = 11 [packed = true];
  repeated StringStringEntryProto metadata_props = 16;
}

message SparseTensorProto {
  optional TensorProto values = 1;
  optional TensorProto indices = 2;
  repeated int64 dims = 3;
}

message TensorShapeProto {
  message Dimension {
    oneof value {
      int64 dim_value = 1;
      string dim_param = 2;
    }
    optional string denotation = 3;
  }
  repeated Dimension dim = 1;
}

message TypeProto {
  message Tensor {
    optional int32 elem_type = 1;
    optional TensorShapeProto shape = 2;
  }
  message Sequence { optional TypeProto elem_type = 1; }
  message Map {
    optional int32 key_type = 1;
    optional TypeProto value_type = 2;
  }
  message Optional { optional TypeProto elem_type = 1; }
  message SparseTensor {
    optional int32 elem_type = 1;
    optional TensorShapeProto shape = 2;
  }
  oneof value {
    Tensor tensor_type = 1;
    Sequence sequence_type = 4;
    Map map_type = 5;
    Optional optional_type = 9;
    SparseTensor sparse_tensor_type = 8;
  }
  optional string denotation = 6;
}

message OperatorSetIdProto {
  optional string domain = 1;
  optional int64 version = 2;
}

message FunctionProto {
  optional string name = 1;
  repeated string input = 4;
  repeated string output = 5;
  repeated string attribute = 6;
  repeated AttributeProto attribute_proto = 11;
  repeated NodeProto node = 7;
  optional string doc_string = 8;
  repeated OperatorSetIdProto opset_import = 9;
  optional string domain = 10;
  optional string overload = 13;
  repeated ValueInfoProto value_info = 12;
  repeated StringStringEntryProto metadata_props = 14;
}
`;

export const onnxRoot: protobuf.Root = protobuf.parse(ONNX_PROTO, { keepCase: true }).root;
onnxRoot.resolveAll();

/** The protobufjs type of a message, e.g. `messageType('ModelProto')`. */
export function messageType(name: MessageName): protobuf.Type {
  return onnxRoot.lookupType(`onnx.${name}`);
}

// Decoded messages carry every field: absent ones read the spec default from the prototype, so only
// fields present in the file (or set by our code) are own properties and get re-encoded. int64 fields
// read as plain numbers; the codec's reader defaults them to 0 instead of protobufjs's Long objects.
function zeroLongDefaults(ns: protobuf.NamespaceBase): void {
  for (const obj of ns.nestedArray) {
    if (obj instanceof protobuf.Type) {
      for (const f of obj.fieldsArray)
        if (f.long && !f.repeated) (obj.ctor.prototype as Record<string, unknown>)[f.name] = 0;
    }
    if (obj instanceof protobuf.Namespace) zeroLongDefaults(obj);
  }
}
zeroLongDefaults(onnxRoot);

/**
 * A new message of the given type with `props` as its own (encoded) fields and the spec defaults
 * for the rest, exactly like a decoded one. Use it instead of object literals so reads of absent
 * fields (e.g. `node.attribute`) behave the same on created and decoded messages.
 */
export function create<N extends MessageName>(name: N, props: Partial<MessageTypes[N]>): MessageTypes[N] {
  return messageType(name).create(props as Record<string, unknown>) as unknown as MessageTypes[N];
}

/**
 * A shallow copy of a decoded or created message: same prototype (spec defaults), same own fields,
 * and the unknown fields protobufjs keeps in the non-enumerable `$unknowns`. Edits copy the path
 * they change with it and share everything else with the source.
 */
export function copyMessage<T extends object>(msg: T, changes: Partial<T> = {}): T {
  const out = Object.assign(Object.create(Object.getPrototypeOf(msg)) as T, msg, changes);
  const unknowns = (msg as { $unknowns?: Uint8Array[] }).$unknowns;
  if (unknowns)
    Object.defineProperty(out, '$unknowns', { value: unknowns, writable: true, configurable: true, enumerable: false });
  return out;
}
