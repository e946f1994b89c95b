/**
 * Rule matching of admission webhooks and policies, as kube's webhook predicates decide it:
 * operations, groups and versions with '*', resources with subresource wildcards, scope, and
 * matchPolicy Equivalent picking another version of the same storage.
 */
import { builtinResources } from '../../schemas/builtin';
import type { ResourceDefinition } from '../../schemas/types';
import { matchingResource, ruleMatches, storageKey, targetOf, type RuleWithOperations } from '../../server/admission/webhook-rules';

const defs = builtinResources();
function def(group: string, version: string, plural: string): ResourceDefinition {
  const d = defs.find((x) => x.group === group && x.version === version && x.plural === plural);
  if (!d) throw new Error(`no ${group}/${version}/${plural}`);
  return d;
}
const deployments = def('apps', 'v1', 'deployments');
const namespaces = def('', 'v1', 'namespaces');
const nodes = def('', 'v1', 'nodes');
const rule = (r: Partial<RuleWithOperations>): RuleWithOperations => ({ operations: ['CREATE'], apiGroups: ['apps'], apiVersions: ['v1'], resources: ['deployments'], ...r });

test('operations, groups and versions match exactly or through *', () => {
  const t = targetOf(deployments, 'CREATE');
  expect(ruleMatches(rule({}), t)).toBe(true);
  expect(ruleMatches(rule({ operations: ['UPDATE'] }), t)).toBe(false);
  expect(ruleMatches(rule({ operations: ['*'] }), t)).toBe(true);
  expect(ruleMatches(rule({ apiGroups: [''] }), t)).toBe(false);
  expect(ruleMatches(rule({ apiGroups: ['*'] }), t)).toBe(true);
  expect(ruleMatches(rule({ apiVersions: ['v1beta1'] }), t)).toBe(false);
  expect(ruleMatches(rule({ apiVersions: ['*'] }), t)).toBe(true);
});

test('resources: * is every main resource, */* everything, r/* and */s subresources', () => {
  const main = targetOf(deployments, 'UPDATE');
  const status = targetOf(deployments, 'UPDATE', 'status');
  const r = (resources: string[]) => rule({ operations: ['UPDATE'], resources });
  expect(ruleMatches(r(['*']), main)).toBe(true);
  expect(ruleMatches(r(['*']), status)).toBe(false);
  expect(ruleMatches(r(['deployments']), status)).toBe(false);
  expect(ruleMatches(r(['deployments/status']), status)).toBe(true);
  expect(ruleMatches(r(['deployments/status']), main)).toBe(false);
  expect(ruleMatches(r(['deployments/*']), status)).toBe(true);
  expect(ruleMatches(r(['*/status']), status)).toBe(true);
  expect(ruleMatches(r(['*/scale']), status)).toBe(false);
  expect(ruleMatches(r(['*/*']), status)).toBe(true);
  expect(ruleMatches(r(['*/*']), main)).toBe(true);
});

test('scope: Namespaced, Cluster (namespaces count as cluster-scoped) and *', () => {
  const any = { operations: ['*'], apiGroups: ['*'], apiVersions: ['*'], resources: ['*'] };
  expect(ruleMatches({ ...any, scope: 'Namespaced' }, targetOf(deployments, 'CREATE'))).toBe(true);
  expect(ruleMatches({ ...any, scope: 'Namespaced' }, targetOf(namespaces, 'CREATE'))).toBe(false);
  expect(ruleMatches({ ...any, scope: 'Cluster' }, targetOf(namespaces, 'CREATE'))).toBe(true);
  expect(ruleMatches({ ...any, scope: 'Cluster' }, targetOf(nodes, 'CREATE'))).toBe(true);
  expect(ruleMatches({ ...any, scope: 'Cluster' }, targetOf(deployments, 'CREATE'))).toBe(false);
  expect(ruleMatches({ ...any, scope: '*' }, targetOf(deployments, 'CREATE'))).toBe(true);
});

test('matchPolicy Equivalent sends a request to another version of the same storage; Exact does not', () => {
  const v1 = def('autoscaling', 'v1', 'horizontalpodautoscalers');
  const v2 = def('autoscaling', 'v2', 'horizontalpodautoscalers');
  expect(storageKey(v1)).toBe(storageKey(v2));
  const rules = [{ operations: ['CREATE'], apiGroups: ['autoscaling'], apiVersions: ['v2'], resources: ['horizontalpodautoscalers'] }];
  const equivalents = () => [v1, v2];
  expect(matchingResource(rules, 'Equivalent', v1, 'CREATE', '', equivalents)).toBe(v2);
  expect(matchingResource(rules, 'Exact', v1, 'CREATE', '', equivalents)).toBeUndefined();
  expect(matchingResource(rules, 'Exact', v2, 'CREATE', '', equivalents)).toBe(v2);
  expect(matchingResource(rules, 'Equivalent', deployments, 'CREATE', '', () => [deployments])).toBeUndefined();
});
