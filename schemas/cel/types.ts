/**
 * CelType describes the type of a CEL variable as the declarations Kubernetes derives from an
 * OpenAPI schema: scalars, lists, maps and objects, each with the size bounds (maxItems,
 * maxProperties, maxLength) that the cost estimator uses. An `object` knows its fields, so a
 * rule that selects a field the schema does not declare is refused at compile time.
 */
export type CelType =
  | { kind: 'int' | 'uint' | 'double' | 'bool' | 'null' | 'dyn' | 'timestamp' | 'duration' }
  | { kind: 'string' | 'bytes'; maxLength?: number }
  | { kind: 'list'; items: CelType; maxItems?: number }
  | { kind: 'map'; values: CelType; maxProperties?: number }
  | {
      kind: 'object';
      fields: Record<string, CelType>;
      maxProperties?: number;
      /** open is true when fields outside `fields` may be present (x-kubernetes-preserve-unknown-fields). */
      open?: boolean;
    };

/** CEL_DYN is the dynamic type: anything, checked at run time. */
export const CEL_DYN: CelType = { kind: 'dyn' };

/** celTypeName is the type spelling @marcbachmann/cel-js declarations use for t. */
export function celTypeName(t: CelType): string {
  switch (t.kind) {
    case 'list':
      return `list<${elementTypeName(t.items)}>`;
    case 'map':
      return `map<string, ${elementTypeName(t.values)}>`;
    case 'object':
      return 'map<string, dyn>';
    case 'null':
      return 'null_type';
    case 'timestamp':
      return 'google.protobuf.Timestamp';
    case 'duration':
      return 'google.protobuf.Duration';
    default:
      return t.kind;
  }
}

// Element types of lists and maps are declared only when they are plain scalars: nested
// aggregates become dyn, which the checker accepts for any operation and the evaluator checks.
function elementTypeName(t: CelType): string {
  switch (t.kind) {
    case 'int':
    case 'uint':
    case 'double':
    case 'bool':
    case 'string':
    case 'bytes':
      return t.kind;
    default:
      return 'dyn';
  }
}
