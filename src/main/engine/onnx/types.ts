// TypeScript views of the decoded ONNX messages (schema.ts) and the spec's enums. Field names are the
// proto's own (snake_case); repeated fields are always arrays, absent scalars read the spec default.
// An absent repeated field of a decoded message is protobufjs's shared frozen empty array: assign a
// new array (edits copy anyway) instead of pushing onto it.
export type MessageName =
  | 'ModelProto'
  | 'GraphProto'
  | 'NodeProto'
  | 'AttributeProto'
  | 'TensorProto'
  | 'SparseTensorProto'
  | 'ValueInfoProto'
  | 'TypeProto'
  | 'TensorShapeProto'
  | 'OperatorSetIdProto'
  | 'StringStringEntryProto'
  | 'FunctionProto'
  | 'TrainingInfoProto'
  | 'TensorAnnotation';

/** An int64 field: a number, or a bigint where the value is beyond ±2^53 (e.g. INT64_MAX sentinels). */
export type Int64 = number | bigint;

/** TensorProto.DataType */
export enum DataType {
  UNDEFINED = 0,
  FLOAT = 1,
  UINT8 = 2,
  INT8 = 3,
  UINT16 = 4,
  INT16 = 5,
  INT32 = 6,
  INT64 = 7,
  STRING = 8,
  BOOL = 9,
  FLOAT16 = 10,
  DOUBLE = 11,
  UINT32 = 12,
  UINT64 = 13,
  COMPLEX64 = 14,
  COMPLEX128 = 15,
  BFLOAT16 = 16,
  FLOAT8E4M3FN = 17,
  FLOAT8E4M3FNUZ = 18,
  FLOAT8E5M2 = 19,
  FLOAT8E5M2FNUZ = 20,
  UINT4 = 21,
  INT4 = 22,
  FLOAT4E2M1 = 23,
}

/** AttributeProto.AttributeType */
export enum AttributeType {
  UNDEFINED = 0,
  FLOAT = 1,
  INT = 2,
  STRING = 3,
  TENSOR = 4,
  GRAPH = 5,
  FLOATS = 6,
  INTS = 7,
  STRINGS = 8,
  TENSORS = 9,
  GRAPHS = 10,
  SPARSE_TENSOR = 11,
  SPARSE_TENSORS = 12,
  TYPE_PROTO = 13,
  TYPE_PROTOS = 14,
}

export enum DataLocation {
  DEFAULT = 0,
  EXTERNAL = 1,
}

export interface StringStringEntryProto {
  key: string;
  value: string;
}

export interface OperatorSetIdProto {
  domain: string;
  version: number;
}

export interface TensorProto {
  dims: number[];
  data_type: DataType;
  segment?: { begin: number; end: number } | null;
  float_data: number[];
  int32_data: number[];
  string_data: Uint8Array[];
  int64_data: Int64[];
  name: string;
  doc_string: string;
  /** Little-endian element bytes; a view into the file's buffer after decoding (no copy). */
  raw_data: Uint8Array;
  external_data: StringStringEntryProto[];
  data_location: DataLocation;
  double_data: number[];
  uint64_data: Int64[];
  metadata_props: StringStringEntryProto[];
}

export interface SparseTensorProto {
  values?: TensorProto | null;
  indices?: TensorProto | null;
  dims: number[];
}

export interface TensorShapeProto {
  dim: { dim_value?: number; dim_param?: string; denotation?: string; value?: 'dim_value' | 'dim_param' }[];
}

export interface TypeProto {
  tensor_type?: { elem_type: DataType; shape?: TensorShapeProto | null } | null;
  sequence_type?: { elem_type?: TypeProto | null } | null;
  map_type?: { key_type: DataType; value_type?: TypeProto | null } | null;
  optional_type?: { elem_type?: TypeProto | null } | null;
  sparse_tensor_type?: { elem_type: DataType; shape?: TensorShapeProto | null } | null;
  denotation: string;
}

export interface ValueInfoProto {
  name: string;
  type?: TypeProto | null;
  doc_string: string;
  metadata_props: StringStringEntryProto[];
}

export interface AttributeProto {
  name: string;
  ref_attr_name: string;
  doc_string: string;
  type: AttributeType;
  f: number;
  i: Int64;
  s: Uint8Array;
  t?: TensorProto | null;
  g?: GraphProto | null;
  sparse_tensor?: SparseTensorProto | null;
  tp?: TypeProto | null;
  floats: number[];
  ints: Int64[];
  strings: Uint8Array[];
  tensors: TensorProto[];
  graphs: GraphProto[];
  sparse_tensors: SparseTensorProto[];
  type_protos: TypeProto[];
}

export interface NodeProto {
  input: string[];
  output: string[];
  name: string;
  op_type: string;
  domain: string;
  overload: string;
  attribute: AttributeProto[];
  doc_string: string;
  metadata_props: StringStringEntryProto[];
}

export interface TensorAnnotation {
  tensor_name: string;
  quant_parameter_tensor_names: StringStringEntryProto[];
}

export interface GraphProto {
  node: NodeProto[];
  name: string;
  initializer: TensorProto[];
  sparse_initializer: SparseTensorProto[];
  doc_string: string;
  input: ValueInfoProto[];
  output: ValueInfoProto[];
  value_info: ValueInfoProto[];
  quantization_annotation: TensorAnnotation[];
  metadata_props: StringStringEntryProto[];
}

export interface FunctionProto {
  name: string;
  input: string[];
  output: string[];
  attribute: string[];
  attribute_proto: AttributeProto[];
  node: NodeProto[];
  doc_string: string;
  opset_import: OperatorSetIdProto[];
  domain: string;
  overload: string;
  value_info: ValueInfoProto[];
  metadata_props: StringStringEntryProto[];
}

export interface TrainingInfoProto {
  initialization?: GraphProto | null;
  algorithm?: GraphProto | null;
  initialization_binding: StringStringEntryProto[];
  update_binding: StringStringEntryProto[];
}

export interface ModelProto {
  ir_version: number;
  opset_import: OperatorSetIdProto[];
  producer_name: string;
  producer_version: string;
  domain: string;
  model_version: number;
  doc_string: string;
  graph?: GraphProto | null;
  metadata_props: StringStringEntryProto[];
  training_info: TrainingInfoProto[];
  functions: FunctionProto[];
}

/** Maps a message name to its TS interface, for `create`. */
export interface MessageTypes {
  ModelProto: ModelProto;
  GraphProto: GraphProto;
  NodeProto: NodeProto;
  AttributeProto: AttributeProto;
  TensorProto: TensorProto;
  SparseTensorProto: SparseTensorProto;
  ValueInfoProto: ValueInfoProto;
  TypeProto: TypeProto;
  TensorShapeProto: TensorShapeProto;
  OperatorSetIdProto: OperatorSetIdProto;
  StringStringEntryProto: StringStringEntryProto;
  FunctionProto: FunctionProto;
  TrainingInfoProto: TrainingInfoProto;
  TensorAnnotation: TensorAnnotation;
}
