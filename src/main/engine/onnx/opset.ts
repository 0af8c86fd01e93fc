// Operator-set imports. Op semantics depend on the version of their domain's opset (e.g. ReduceMean
// takes axes as an attribute before 18, as an input from 18 on); "" and "ai.onnx" name the same domain.
import { copyMessage, create, type ModelProto } from './schema.js';

const canonical = (domain: string) => (domain === 'ai.onnx' ? '' : domain);

/** The version of the default ("ai.onnx") operator set the model imports. */
export function opsetVersion(proto: ModelProto, domain = ''): number {
  const o = proto.opset_import.find((x) => canonical(x.domain) === canonical(domain));
  return o ? Number(o.version) : 0;
}

/** Sets the version of an operator set (adding the import if missing). Does not rewrite nodes. */
export function setOpset(proto: ModelProto, version: number, domain = ''): ModelProto {
  const rest = proto.opset_import.filter((x) => canonical(x.domain) !== canonical(domain));
  return copyMessage(proto, { opset_import: [...rest, create('OperatorSetIdProto', { domain, version })] });
}
