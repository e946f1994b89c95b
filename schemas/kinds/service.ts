/** core/v1 Service: names are DNS-1035 labels; ports, types and a clusterIP that never changes once set, as kube validates them. */
import { serviceDefaults } from '../defaults-core';
import { serviceColumns } from '../printers';
import { STATUS, kindOf } from './kind';
import { objectStrategy } from './strategy';
import { validateService } from '../validation/core';

/** service is core/v1 services; they gained deletecollection when their storage moved onto the generic store (1.23+). */
export const service = kindOf('', 'v1', {
  kind: 'Service', plural: 'services', namespaced: true, shortNames: ['svc'], categories: ['all'], subresources: STATUS,
  columns: serviceColumns,
  defaults: serviceDefaults,
  nameValidation: 'dns-1035',
  // A new Service starts with an empty load-balancer status, as kube's strategy sets it (the
  // official Python client reads status.loadBalancer of every created Service).
  strategy: objectStrategy({
    status: true,
    prepareForCreate: (svc) => {
      svc.status = { loadBalancer: {} };
    },
    // An update that leaves the cluster IPs out keeps the allocated ones, as kube's service
    // storage carries them over before validation.
    prepareForUpdate: (svc, old) => {
      const spec = svc.spec as { clusterIP?: string; clusterIPs?: string[] } | undefined;
      const was = old.spec as { clusterIP?: string; clusterIPs?: string[] } | undefined;
      if (!spec || !was?.clusterIP) return;
      if (spec.clusterIP === undefined || spec.clusterIP === '') {
        spec.clusterIP = was.clusterIP;
        if (spec.clusterIPs === undefined && was.clusterIPs !== undefined) spec.clusterIPs = [...was.clusterIPs];
      }
    },
    validate: validateService,
  }),
});
