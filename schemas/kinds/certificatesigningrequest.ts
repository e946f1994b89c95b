/**
 * certificates.k8s.io/v1 CertificateSigningRequest: a request is approved or denied at most once,
 * never both, and a decision once made cannot be taken back. Approval conditions change only
 * through /approval; the certificate only through /status. The spec is validated as kube's on create.
 */
import { certificateSigningRequestColumns } from '../printers';
import type { FieldError, KubeObject } from '../types';
import { validateCertificateSigningRequestSpec } from '../validation/cluster';
import { fields, kindOf } from './kind';
import { objectStrategy, statusStrategy } from './strategy';

function validateDecisions(obj: KubeObject, old?: KubeObject): FieldError[] {
  const decisions = (o?: KubeObject) =>
    (((o?.status as { conditions?: Array<{ type?: string }> } | undefined)?.conditions ?? []).map((c) => c.type ?? '')).filter((t) => t === 'Approved' || t === 'Denied');
  const now = decisions(obj);
  const errs: FieldError[] = [];
  if (now.includes('Approved') && now.includes('Denied')) {
    errs.push({ type: 'FieldValueInvalid', field: 'status.conditions', message: 'Invalid value: "Approved": Approved and Denied conditions are mutually exclusive' });
  }
  for (const t of new Set(now)) {
    if (now.filter((x) => x === t).length > 1) errs.push({ type: 'FieldValueDuplicate', field: 'status.conditions', message: `Duplicate value: "${t}"` });
  }
  for (const t of decisions(old)) {
    if (!now.includes(t)) errs.push({ type: 'FieldValueForbidden', field: 'status.conditions', message: `Forbidden: updates may not remove a condition of type "${t}"` });
  }
  return errs;
}

/** certificateSigningRequest is certificates.k8s.io/v1 certificatesigningrequests. */
export const certificateSigningRequest = kindOf('certificates.k8s.io', 'v1', {
  kind: 'CertificateSigningRequest', plural: 'certificatesigningrequests', namespaced: false, shortNames: ['csr'],
  subresources: { status: true, approval: true },
  columns: certificateSigningRequestColumns,
  selectableFields: fields('spec.signerName'),
  // The spec is fixed at creation: an update keeps the stored spec, as kube's strategy does.
  strategy: objectStrategy({
    status: true,
    prepareForUpdate: (csr, old) => {
      if (old.spec === undefined) delete csr.spec;
      else csr.spec = structuredClone(old.spec);
    },
    validate: (csr, old) => [...(old ? [] : validateCertificateSigningRequestSpec(csr)), ...validateDecisions(csr, old)],
  }),
  statusStrategy: statusStrategy({ metadata: 'client', validate: validateDecisions }),
  // Only the approval conditions change through /approval.
  approvalStrategy: {
    prepareForCreate() {},
    prepareForUpdate: (csr, old) => {
      const next = structuredClone(old) as KubeObject;
      next.metadata = csr.metadata;
      const conditions = (csr.status as { conditions?: unknown } | undefined)?.conditions;
      next.status = { ...((old.status as object) ?? {}), conditions };
      if (conditions === undefined) delete (next.status as Record<string, unknown>).conditions;
      return next;
    },
    validate: validateDecisions,
  },
});
