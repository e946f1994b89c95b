/** core/v1 Service: names are DNS-1035 labels. */
import { defaultService } from '../defaults';
import { serviceColumns } from '../printers';
import { STATUS, kindOf } from './kind';
import { objectStrategy } from './strategy';

/** service is core/v1 services; they gained deletecollection when their storage moved onto the generic store (1.23+). */
export const service = kindOf('', 'v1', {
  kind: 'Service', plural: 'services', namespaced: true, shortNames: ['svc'], categories: ['all'], subresources: STATUS,
  columns: serviceColumns,
  defaults: defaultService,
  nameValidation: 'dns-1035',
  // A new Service starts with an empty load-balancer status, as kube's strategy sets it (the
  // official Python client reads status.loadBalancer of every created Service).
  strategy: objectStrategy({
    status: true,
    prepareForCreate: (svc) => {
      svc.status = { loadBalancer: {} };
    },
  }),
});
