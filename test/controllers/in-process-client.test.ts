/** The Client conformance suite against the in-process Client, straight into the registry. */
import { builtinControllers } from '../../controllers/builtin-controllers';
import { ControllerManager } from '../../controllers/runtime/manager';
import { startTestServer } from '../helpers/api-server';
import { describeClientConformance } from './client-suite';

describeClientConformance('in-process', async (fieldManager) => {
  // The suite writes Deployment status and scale itself: every built-in controller runs but the
  // Deployment controller, which would write them too.
  const server = await startTestServer({ controllers: false });
  const controllers = new ControllerManager(server.nodeless.client);
  controllers.add(...builtinControllers({ rootCACert: 'unused' }).filter((c) => c.name !== 'deployment-controller'));
  await controllers.start();
  return {
    client: server.nodeless.client.withFieldManager(fieldManager),
    close: async () => {
      controllers.stop();
      await server.close();
    },
  };
});
