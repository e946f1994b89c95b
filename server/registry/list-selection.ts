/**
 * Selection: the label and field selectors of a list or watch, passed to the registry as data
 * (the strings a client sends) and compiled here into one predicate over the stored object, so
 * that every caller, HTTP or in-process, selects exactly the same objects.
 */
import type { KubeObject, ResourceDefinition } from '../../schemas/types';
import { badRequest } from '../../schemas/meta/status-error';
import {
  SelectorError,
  exactFieldValue,
  fieldSelectorFields,
  fieldSelectorMatches,
  matches,
  parseFieldSelector,
  parseLabelSelector,
  unsupportedFieldLabelMessage,
} from '../../schemas/meta/selectors';

/** SelectorQuery is the selector part of ListOptions, as strings. */
export interface SelectorQuery {
  labelSelector?: string;
  fieldSelector?: string;
}

/** Selection is a compiled selector: a predicate, and the name a field selector pinned, if any. */
export interface Selection {
  filter?: (obj: Readonly<KubeObject>) => boolean;
  name?: string;
}

/** fieldValue reads a selectable field of an object: metadata.name, metadata.namespace, or the kind's own. */
export function fieldValue(def: ResourceDefinition, obj: Readonly<KubeObject>, field: string): string | undefined {
  if (field === 'metadata.name') return obj.metadata?.name;
  if (field === 'metadata.namespace') return obj.metadata?.namespace ?? '';
  return def.selectableFields?.[field]?.(obj as KubeObject);
}

/**
 * selectionOf compiles a kind's selectors: a selector that does not parse is a 400 with the
 * parser's message, a field the kind cannot select on is kube's 400 "field label not supported".
 */
export function selectionOf(def: ResourceDefinition, query: SelectorQuery): Selection {
  let labelSel;
  let fieldSel;
  try {
    labelSel = parseLabelSelector(query.labelSelector ?? '');
    fieldSel = parseFieldSelector(query.fieldSelector ?? '');
  } catch (err) {
    if (err instanceof SelectorError) throw badRequest(err.message);
    throw err;
  }
  for (const f of fieldSelectorFields(fieldSel)) {
    if (f !== 'metadata.name' && f !== 'metadata.namespace' && !def.selectableFields?.[f]) throw badRequest(unsupportedFieldLabelMessage(f));
  }
  const filters: Array<(o: Readonly<KubeObject>) => boolean> = [];
  if (!labelSel.empty) filters.push((o) => matches(labelSel, o.metadata?.labels));
  if (!fieldSel.empty) filters.push((o) => fieldSelectorMatches(fieldSel, (f) => fieldValue(def, o, f)));
  return {
    filter: filters.length === 0 ? undefined : filters.length === 1 ? filters[0] : (o) => filters.every((f) => f(o)),
    name: exactFieldValue(fieldSel, 'metadata.name'),
  };
}
