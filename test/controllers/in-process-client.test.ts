/** The Client conformance suite against the in-process Client, straight into the registry. */
import { startTestServer } from '../helpers/api-server';
import { describeClientConformance } from './client-suite';

describeClientConformance('in-process', async (fieldManager) => {
  const server = await startTestServer();
  return { client: server.nodeless.client.withFieldManager(fieldManager), close: () => server.close() };
});
