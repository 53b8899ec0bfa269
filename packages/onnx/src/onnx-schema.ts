import protobuf from 'protobufjs/light.js';

/**
 * The part of ONNX's schema that the exporter writes, as a protobufjs JSON descriptor: messages,
 * field names, numbers, types and packing copied from the official `onnx/onnx.proto` (proto2) at
 * onnx/onnx commit f7546912001bc31e92a238b17068a21b373d882e
 * (https://github.com/onnx/onnx/blob/f7546912001bc31e92a238b17068a21b373d882e/onnx/onnx.proto).
 * Fields the exporter never writes (training info, functions, sparse tensors, external data,
 * segments, non-tensor types, ...) are left out; a decoder skips them as unknown fields.
 * proto2 does not pack repeated scalars unless asked, so those fields say `packed` explicitly
 * (a JSON descriptor would otherwise default to proto3's packing).
 */
const ONNX_SCHEMA: protobuf.INamespace = {
  nested: {
    onnx: {
      nested: {
      ModelProto: {
        fields: {
          ir_version: { type: 'int64', id: 1 },
          opset_import: { rule: 'repeated', type: 'OperatorSetIdProto', id: 8 },
          producer_name: { type: 'string', id: 2 },
          producer_version: { type: 'string', id: 3 },
          domain: { type: 'string', id: 4 },
          model_version: { type: 'int64', id: 5 },
          doc_string: { type: 'string', id: 6 },
          graph: { type: 'GraphProto', id: 7 },
          metadata_props: { rule: 'repeated', type: 'StringStringEntryProto', id: 14 },
        },
      },
      GraphProto: {
        fields: {
          node: { rule: 'repeated', type: 'NodeProto', id: 1 },
          name: { type: 'string', id: 2 },
          initializer: { rule: 'repeated', type: 'TensorProto', id: 5 },
          doc_string: { type: 'string', id: 10 },
          input: { rule: 'repeated', type: 'ValueInfoProto', id: 11 },
          output: { rule: 'repeated', type: 'ValueInfoProto', id: 12 },
          value_info: { rule: 'repeated', type: 'ValueInfoProto', id: 13 },
          metadata_props: { rule: 'repeated', type: 'StringStringEntryProto', id: 16 },
        },
      },
      NodeProto: {
        fields: {
          input: { rule: 'repeated', type: 'string', id: 1 },
          output: { rule: 'repeated', type: 'string', id: 2 },
          name: { type: 'string', id: 3 },
          op_type: { type: 'string', id: 4 },
          domain: { type: 'string', id: 7 },
          attribute: { rule: 'repeated', type: 'AttributeProto', id: 5 },
          doc_string: { type: 'string', id: 6 },
        },
      },
      AttributeProto: {
        fields: {
          name: { type: 'string', id: 1 },
          doc_string: { type: 'string', id: 13 },
          type: { type: 'AttributeType', id: 20 },
          f: { type: 'float', id: 2 },
          i: { type: 'int64', id: 3 },
          s: { type: 'bytes', id: 4 },
          t: { type: 'TensorProto', id: 5 },
          g: { type: 'GraphProto', id: 6 },
          floats: { rule: 'repeated', type: 'float', id: 7, options: { packed: false } },
          ints: { rule: 'repeated', type: 'int64', id: 8, options: { packed: false } },
          strings: { rule: 'repeated', type: 'bytes', id: 9 },
          tensors: { rule: 'repeated', type: 'TensorProto', id: 10 },
          graphs: { rule: 'repeated', type: 'GraphProto', id: 11 },
        },
        nested: {
          AttributeType: {
            values: { UNDEFINED: 0, FLOAT: 1, INT: 2, STRING: 3, TENSOR: 4, GRAPH: 5, SPARSE_TENSOR: 11, TYPE_PROTO: 13, FLOATS: 6, INTS: 7, STRINGS: 8, TENSORS: 9, GRAPHS: 10, SPARSE_TENSORS: 12, TYPE_PROTOS: 14 },
          },
        },
      },
      TensorProto: {
        fields: {
          dims: { rule: 'repeated', type: 'int64', id: 1, options: { packed: false } },
          data_type: { type: 'int32', id: 2 },
          float_data: { rule: 'repeated', type: 'float', id: 4, options: { packed: true } },
          int32_data: { rule: 'repeated', type: 'int32', id: 5, options: { packed: true } },
          string_data: { rule: 'repeated', type: 'bytes', id: 6 },
          int64_data: { rule: 'repeated', type: 'int64', id: 7, options: { packed: true } },
          name: { type: 'string', id: 8 },
          doc_string: { type: 'string', id: 12 },
          raw_data: { type: 'bytes', id: 9 },
          double_data: { rule: 'repeated', type: 'double', id: 10, options: { packed: true } },
          uint64_data: { rule: 'repeated', type: 'uint64', id: 11, options: { packed: true } },
        },
        nested: {
          DataType: {
            values: { UNDEFINED: 0, FLOAT: 1, UINT8: 2, INT8: 3, UINT16: 4, INT16: 5, INT32: 6, INT64: 7, STRING: 8, BOOL: 9, FLOAT16: 10, DOUBLE: 11, UINT32: 12, UINT64: 13, COMPLEX64: 14, COMPLEX128: 15, BFLOAT16: 16, FLOAT8E4M3FN: 17, FLOAT8E4M3FNUZ: 18, FLOAT8E5M2: 19, FLOAT8E5M2FNUZ: 20, UINT4: 21, INT4: 22, FLOAT4E2M1: 23, FLOAT8E8M0: 24, UINT2: 25, INT2: 26 },
          },
        },
      },
      ValueInfoProto: {
        fields: {
          name: { type: 'string', id: 1 },
          type: { type: 'TypeProto', id: 2 },
          doc_string: { type: 'string', id: 3 },
        },
      },
      TypeProto: {
        fields: {
          tensor_type: { type: 'Tensor', id: 1 },
          denotation: { type: 'string', id: 6 },
        },
        oneofs: { value: { oneof: ['tensor_type'] } },
        nested: {
          Tensor: {
            fields: {
              elem_type: { type: 'int32', id: 1 },
              shape: { type: 'TensorShapeProto', id: 2 },
            },
          },
        },
      },
      TensorShapeProto: {
        fields: {
          dim: { rule: 'repeated', type: 'Dimension', id: 1 },
        },
        nested: {
          Dimension: {
            fields: {
              dim_value: { type: 'int64', id: 1 },
              dim_param: { type: 'string', id: 2 },
              denotation: { type: 'string', id: 3 },
            },
            oneofs: { value: { oneof: ['dim_value', 'dim_param'] } },
          },
        },
      },
      OperatorSetIdProto: {
        fields: {
          domain: { type: 'string', id: 1 },
          version: { type: 'int64', id: 2 },
        },
      },
      StringStringEntryProto: {
        fields: {
          key: { type: 'string', id: 1 },
          value: { type: 'string', id: 2 },
        },
      },
      },
    },
  },
};

/** The protobufjs root of {@link ONNX_SCHEMA}; `onnxRoot.lookupType('onnx.ModelProto')` etc. */
export const onnxRoot: protobuf.Root = protobuf.Root.fromJSON(ONNX_SCHEMA);

/** `onnx.ModelProto`: encodes a {@link ModelProto} object, decodes serialized models. */
export const ModelProtoType: protobuf.Type = onnxRoot.lookupType('onnx.ModelProto');

/** `TensorProto.DataType.FLOAT`. */
export const FLOAT = 1;

/** `AttributeProto.AttributeType` values the exporter writes. */
export const ATTRIBUTE_TYPE = { FLOAT: 1, INT: 2, INTS: 7 } as const;

// Plain objects with the schema's field names, as the exporter builds them for `encode`.

export interface StringStringEntryProto {
  key: string;
  value: string;
}

export interface OperatorSetIdProto {
  domain: string;
  version: number;
}

export interface TensorProto {
  name: string;
  dims: number[];
  data_type: number;
  /** Little-endian element bytes. */
  raw_data: Uint8Array;
}

export interface AttributeProto {
  name: string;
  type: number;
  f?: number;
  i?: number;
  ints?: number[];
}

export interface NodeProto {
  name: string;
  op_type: string;
  input: string[];
  output: string[];
  attribute: AttributeProto[];
}

export type DimensionProto = { dim_value: number } | { dim_param: string };

export interface ValueInfoProto {
  name: string;
  type: { tensor_type: { elem_type: number; shape: { dim: DimensionProto[] } } };
  doc_string?: string;
}

export interface GraphProto {
  name: string;
  doc_string?: string;
  node: NodeProto[];
  initializer: TensorProto[];
  input: ValueInfoProto[];
  output: ValueInfoProto[];
}

export interface ModelProto {
  ir_version: number;
  opset_import: OperatorSetIdProto[];
  producer_name: string;
  producer_version: string;
  doc_string?: string;
  graph: GraphProto;
  metadata_props: StringStringEntryProto[];
}
