/**
 * Versions that share storage: events.k8s.io/v1 Events are core/v1 Events, and
 * autoscaling/v1 and v2 HorizontalPodAutoscalers are the same objects.
 */
import { startTestServer, type TestServer } from '../helpers/api-server';

let t: TestServer;
beforeAll(async () => {
  t = await startTestServer();
});
afterAll(() => t.close());

describe('shared storage between versions', () => {
  it('serves a core/v1 Event as an events.k8s.io/v1 Event and back', async () => {
    await t.api
      .post('/api/v1/namespaces/default/events')
      .send({
        apiVersion: 'v1',
        kind: 'Event',
        metadata: { name: 'ev1' },
        involvedObject: { kind: 'Pod', name: 'p', namespace: 'default' },
        reason: 'Started',
        message: 'container started',
        type: 'Normal',
        count: 2,
        reportingComponent: 'kubelet',
        // With an eventTime kube also requires the reporting instance and the action.
        reportingInstance: 'node-1',
        action: 'Started',
        eventTime: '2026-11-25T10:00:00.000000Z',
      })
      .expect(201);
    const ev = await t.api.get('/apis/events.k8s.io/v1/namespaces/default/events/ev1').expect(200);
    expect(ev.body).toMatchObject({ apiVersion: 'events.k8s.io/v1', kind: 'Event', note: 'container started', regarding: { kind: 'Pod', name: 'p' }, deprecatedCount: 2, reportingController: 'kubelet' });
    expect(ev.body.message).toBeUndefined();

    // Through events.k8s.io/v1 what identifies the event is immutable; the note and series are not.
    await t.api
      .patch('/apis/events.k8s.io/v1/namespaces/default/events/ev1')
      .set('Content-Type', 'application/merge-patch+json')
      .send({ reason: 'Restarted' })
      .expect(422);
    await t.api
      .patch('/apis/events.k8s.io/v1/namespaces/default/events/ev1')
      .set('Content-Type', 'application/merge-patch+json')
      .send({ note: 'patched note', series: { count: 3, lastObservedTime: '2026-11-25T10:05:00.000000Z' } })
      .expect(200);
    const core = await t.api.get('/api/v1/namespaces/default/events/ev1').expect(200);
    expect(core.body).toMatchObject({ apiVersion: 'v1', message: 'patched note', series: { count: 3 }, involvedObject: { name: 'p' } });
    // core/v1 keeps its loose update rules.
    await t.api.patch('/api/v1/namespaces/default/events/ev1').set('Content-Type', 'application/merge-patch+json').send({ reason: 'Restarted' }).expect(200);

    const list = await t.api.get('/apis/events.k8s.io/v1/namespaces/default/events').expect(200);
    expect(list.body.items.map((e: { note: string }) => e.note)).toEqual(['patched note']);
    await t.api.delete('/apis/events.k8s.io/v1/namespaces/default/events/ev1').expect(200);
    await t.api.get('/api/v1/namespaces/default/events/ev1').expect(404);
  });

  it('serves an autoscaling/v2 HPA at autoscaling/v1 with its CPU target, and back', async () => {
    await t.api
      .post('/apis/autoscaling/v2/namespaces/default/horizontalpodautoscalers')
      .send({
        apiVersion: 'autoscaling/v2',
        kind: 'HorizontalPodAutoscaler',
        metadata: { name: 'web' },
        spec: {
          scaleTargetRef: { apiVersion: 'apps/v1', kind: 'Deployment', name: 'web' },
          minReplicas: 1,
          maxReplicas: 5,
          metrics: [
            { type: 'Resource', resource: { name: 'cpu', target: { type: 'Utilization', averageUtilization: 60 } } },
            { type: 'Resource', resource: { name: 'memory', target: { type: 'AverageValue', averageValue: '500Mi' } } },
          ],
        },
      })
      .expect(201);
    const v1 = await t.api.get('/apis/autoscaling/v1/namespaces/default/horizontalpodautoscalers/web').expect(200);
    expect(v1.body.apiVersion).toBe('autoscaling/v1');
    expect(v1.body.spec).toEqual({ scaleTargetRef: { apiVersion: 'apps/v1', kind: 'Deployment', name: 'web' }, minReplicas: 1, maxReplicas: 5, targetCPUUtilizationPercentage: 60 });
    expect(JSON.parse(v1.body.metadata.annotations['autoscaling.alpha.kubernetes.io/metrics'])[0].resource.name).toBe('memory');

    // An update through v1 keeps the metric v1 cannot express.
    v1.body.spec.targetCPUUtilizationPercentage = 75;
    await t.api.put('/apis/autoscaling/v1/namespaces/default/horizontalpodautoscalers/web').send(v1.body).expect(200);
    const v2 = await t.api.get('/apis/autoscaling/v2/namespaces/default/horizontalpodautoscalers/web').expect(200);
    expect(v2.body.spec.metrics).toEqual([
      { type: 'Resource', resource: { name: 'cpu', target: { type: 'Utilization', averageUtilization: 75 } } },
      { type: 'Resource', resource: { name: 'memory', target: { type: 'AverageValue', averageValue: '500Mi' } } },
    ]);
    expect(v2.body.metadata.annotations).toBeUndefined();
  });
});
