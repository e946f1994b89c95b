/**
 * Field rules shared by the workload kinds (apps, batch, autoscaling):
 * immutable fields, label selectors against template labels, int-or-percent values, and the
 * Go renderings (%#v) kube-apiserver puts into the messages of those rules, so that a client
 * reads the text a real cluster would print.
 */
import { labelSelectorFromObject, matches, validateLabelSelector, type LabelSelectorObject } from '../meta/selectors';
import { renderValue } from '../meta/object-meta';
import type { FieldError } from '../types';
import { type Obj, goStringMap, goStringSlice, invalid, isObj, notSupported, objOf, present } from './field-errors';

const goQuote = (s: string) => JSON.stringify(s);

/** goLabelSelector renders a metav1.LabelSelector as %#v does in "field is immutable" messages. */
export function goLabelSelector(sel: unknown): string {
  if (!isObj(sel)) return 'null';
  const exprs = Array.isArray(sel.matchExpressions)
    ? `[]v1.LabelSelectorRequirement{${sel.matchExpressions
        .map((e) => {
          const r = objOf(e);
          return `v1.LabelSelectorRequirement{Key:${goQuote(String(r.key ?? ''))}, Operator:${goQuote(String(r.operator ?? ''))}, Values:${goStringSlice(r.values)}}`;
        })
        .join(', ')}}`
    : '[]v1.LabelSelectorRequirement(nil)';
  return `v1.LabelSelector{MatchLabels:${goStringMap(sel.matchLabels)}, MatchExpressions:${exprs}}`;
}

/** goIntOrString renders an intstr.IntOrString as %#v does. */
export function goIntOrString(v: unknown): string {
  return typeof v === 'string' ? `intstr.IntOrString{Type:1, IntVal:0, StrVal:${goQuote(v)}}` : `intstr.IntOrString{Type:0, IntVal:${Number(v ?? 0)}, StrVal:""}`;
}

// semantic drops nulls, empty maps and empty lists, as apiequality.Semantic treats nil and empty alike.
function semantic(v: unknown): unknown {
  if (Array.isArray(v)) return v.length ? v.map(semantic) : undefined;
  if (isObj(v)) {
    const out: Obj = {};
    for (const k of Object.keys(v).sort()) {
      const s = semantic(v[k]);
      if (s !== undefined) out[k] = s;
    }
    return Object.keys(out).length ? out : undefined;
  }
  return v === null ? undefined : v;
}

/** semanticEqual compares two JSON values as apiequality.Semantic.DeepEqual does. */
export function semanticEqual(a: unknown, b: unknown): boolean {
  return JSON.stringify(semantic(a)) === JSON.stringify(semantic(b));
}

/** immutable is ValidateImmutableField: a changed value is refused with "field is immutable". */
export function immutable(field: string, next: unknown, old: unknown, render: (v: unknown) => string = renderValue): FieldError[] {
  return semanticEqual(next, old) ? [] : [invalid(field, render(next), 'field is immutable')];
}

/** selectorErrors is ValidateLabelSelector with its causes at path. */
export function selectorErrors(selector: unknown, path: string): FieldError[] {
  if (!isObj(selector)) return [];
  return validateLabelSelector(selector as LabelSelectorObject, path).map((c) => ({ type: c.reason, field: c.field, message: c.message }));
}

/** selectorIsEmpty says a selector has neither matchLabels nor matchExpressions. */
export function selectorIsEmpty(selector: Obj): boolean {
  const labels = isObj(selector.matchLabels) ? Object.keys(selector.matchLabels).length : 0;
  const exprs = Array.isArray(selector.matchExpressions) ? selector.matchExpressions.length : 0;
  return labels + exprs === 0;
}

/**
 * templateLabelsMismatch checks that a controller's selector selects its template's labels
 * (LabelSelectorAsSelector: an absent selector selects nothing, an empty one everything and so
 * matches; an unparsable one is reported elsewhere).
 */
export function templateLabelsMismatch(selector: unknown, templateLabels: unknown, field: string): FieldError[] {
  let sel;
  try {
    sel = labelSelectorFromObject(isObj(selector) ? (selector as LabelSelectorObject) : undefined);
  } catch {
    return [];
  }
  if (sel.empty) return [];
  const labels = isObj(templateLabels) ? (templateLabels as Record<string, string>) : {};
  return matches(sel, labels) ? [] : [invalid(field, goStringMap(templateLabels), '`selector` does not match template `labels`')];
}

/** selectorParses says LabelSelectorAsSelector accepts the selector. */
export function selectorParses(selector: unknown): boolean {
  try {
    labelSelectorFromObject(isObj(selector) ? (selector as LabelSelectorObject) : undefined);
    return true;
  } catch {
    return false;
  }
}

const PERCENT = /^[0-9]+%$/;
const PERCENT_MESSAGE = "a valid percent string must be a numeric string followed by an ending '%' (e.g. '1%',  or '93%', regex used for validation is '[0-9]+%')";

/** intOrPercentValue is getIntOrPercentValue: a percent's number, an int, or 0 for anything else. */
export function intOrPercentValue(v: unknown): number {
  if (typeof v === 'number') return v;
  if (typeof v === 'string') {
    if (PERCENT.test(v)) return Number(v.slice(0, -1));
    return /^[-+]?\d+$/.test(v) ? Number(v) : 0;
  }
  return 0;
}

/** positiveIntOrPercent is ValidatePositiveIntOrPercent. */
export function positiveIntOrPercent(field: string, v: unknown): FieldError[] {
  if (typeof v === 'string') return PERCENT.test(v) ? [] : [invalid(field, goIntOrString(v), PERCENT_MESSAGE)];
  return typeof v === 'number' && v < 0 ? [invalid(field, String(v), 'must be greater than or equal to 0')] : [];
}

/** notMoreThan100Percent is IsNotMoreThan100Percent. */
export function notMoreThan100Percent(field: string, v: unknown): FieldError[] {
  return typeof v === 'string' && PERCENT.test(v) && Number(v.slice(0, -1)) > 100 ? [invalid(field, goIntOrString(v), 'must not be greater than 100%')] : [];
}

/** alwaysRestartingTemplate is the apps rule that pods of a controller restart Always and have no deadline. */
export function alwaysRestartingTemplate(template: Obj, path: string, kind: string): FieldError[] {
  const spec = objOf(template.spec);
  const errs: FieldError[] = [];
  const policy = spec.restartPolicy ?? '';
  if (policy !== 'Always') errs.push(notSupported(`${path}.spec.restartPolicy`, String(policy), ['Always']));
  if (present(spec.activeDeadlineSeconds)) {
    errs.push({ type: 'FieldValueForbidden', field: `${path}.spec.activeDeadlineSeconds`, message: `Forbidden: activeDeadlineSeconds in ${kind} is not Supported` });
  }
  return errs;
}
