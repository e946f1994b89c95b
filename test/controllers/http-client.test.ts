/** The Client conformance suite against the HTTP Client, over TLS to the built server in its own process. */
import { HttpClient } from '../../controllers/runtime/http-client';
import { startCliServer } from '../helpers/api-server';
import { describeClientConformance } from './client-suite';

describeClientConformance('HTTP', async (fieldManager) => {
  const server = await startCliServer();
  const client = HttpClient.fromKubeconfig(server.kubeconfig, fieldManager);
  return {
    client,
    close: async () => {
      client.close();
      await server.stop();
    },
  };
});
