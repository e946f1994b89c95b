/**
 * LedgerProtection admission: the definitions of nodeless's read-only groups (the billing
 * ledger and usage, see READ_ONLY_GROUPS) are installed by the instance scheduler and may not be
 * created, changed or deleted by API clients: deleting a definition would delete every object in
 * it. The server's own writes (no user) and the CRD controller's status writes pass.
 */
import type { AdmissionPlugin } from './admission';
import { READ_ONLY_GROUPS } from '../../schemas/crd';
import { forbidden } from '../../schemas/meta/status-error';

/** ledgerProtection returns the admission plugin. */
export function ledgerProtection(): AdmissionPlugin {
  return {
    name: 'LedgerProtection',
    validate(attrs) {
      if (!attrs.userInfo || attrs.subresource === 'status') return;
      if (attrs.resource.group !== 'apiextensions.k8s.io' || attrs.resource.plural !== 'customresourcedefinitions') return;
      const groupOf = (o: unknown) => ((o as { spec?: { group?: unknown } } | undefined)?.spec?.group);
      const group = [groupOf(attrs.oldObject), groupOf(attrs.object)].find((g): g is string => typeof g === 'string' && READ_ONLY_GROUPS.has(g));
      if (!group) return;
      const what = attrs.operation === 'CREATE' ? 'its definitions are installed by the server alone' : `its definitions may not be ${attrs.operation === 'DELETE' ? 'deleted' : 'changed'}`;
      throw forbidden({ group: 'apiextensions.k8s.io', resource: 'customresourcedefinitions' }, attrs.name, `${group} is nodeless's billing ledger: ${what}`);
    },
  };
}
