/** The Client conformance suite against the HTTP Client, over TLS to the built server in its own process. */
import { builtinControllers } from '../../controllers/builtin-controllers';
import { HttpClient } from '../../controllers/runtime/http-client';
import { ControllerManager } from '../../controllers/runtime/manager';
import { startCliServer } from '../helpers/api-server';
import { describeClientConformance } from './client-suite';

describeClientConformance('HTTP', async (fieldManager) => {
  // The suite writes Deployment status and scale itself: every built-in controller runs (here,
  // over HTTP) but the Deployment controller, which would write them too.
  const server = await startCliServer(['--controllers=false']);
  const controllers = new ControllerManager(HttpClient.fromKubeconfig(server.kubeconfig, 'nodeless-controllers'));
  controllers.add(...builtinControllers({ rootCACert: 'unused' }).filter((c) => c.name !== 'deployment-controller'));
  await controllers.start();
  const client = HttpClient.fromKubeconfig(server.kubeconfig, fieldManager);
  return {
    client,
    close: async () => {
      controllers.stop();
      client.close();
      await server.stop();
    },
  };
});
