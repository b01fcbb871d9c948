// Create, get, list, replace and delete with the typed APIs and KubernetesObjectApi; a Service and a Deployment
// read back in full.
import { k8s, connect, newNamespace, check, equal, failsWith, run } from './compat.mjs';

run(async () => {
    const kc = connect();
    const core = kc.makeApiClient(k8s.CoreV1Api);
    const apps = kc.makeApiClient(k8s.AppsV1Api);
    const namespace = await newNamespace(kc, 'crud');

    const created = await core.createNamespacedConfigMap({
        namespace,
        body: { metadata: { name: 'settings', labels: { app: 'crud' } }, data: { color: 'blue' } },
    });
    equal(created.metadata.namespace, namespace, 'created namespace');
    check(created.metadata.uid, 'a uid');
    check(created.metadata.creationTimestamp instanceof Date && !isNaN(created.metadata.creationTimestamp), 'a creationTimestamp the client parses');

    const read = await core.readNamespacedConfigMap({ name: 'settings', namespace });
    equal(read.data, { color: 'blue' }, 'data read back');

    const listed = await core.listNamespacedConfigMap({ namespace });
    equal(listed.items.map((c) => c.metadata.name).filter((n) => n === 'settings'), ['settings'], 'the list holds it');
    equal(listed.kind, 'ConfigMapList', "the list's kind");

    read.data.color = 'green';
    const replaced = await core.replaceNamespacedConfigMap({ name: 'settings', namespace, body: read });
    equal(replaced.data.color, 'green', 'replaced data');
    check(Number(replaced.metadata.resourceVersion) > Number(read.metadata.resourceVersion), 'resourceVersion moves on');

    read.data.color = 'red'; // still at the old resourceVersion
    await failsWith(() => core.replaceNamespacedConfigMap({ name: 'settings', namespace, body: read }), 409, 'Conflict');

    const svc = await core.createNamespacedService({
        namespace,
        body: { metadata: { name: 'web' }, spec: { selector: { app: 'web' }, ports: [{ port: 80, targetPort: 8080 }] } },
    });
    check(svc.spec.clusterIP, 'a clusterIP');
    equal(svc.spec.ports[0].protocol, 'TCP', 'defaulted protocol');
    check(svc.status?.loadBalancer, "a Service's status.loadBalancer");

    // The generic object API: create, read and delete by the object's own apiVersion and kind.
    const objects = k8s.KubernetesObjectApi.makeApiClient(kc);
    const deployment = {
        apiVersion: 'apps/v1',
        kind: 'Deployment',
        metadata: { name: 'web', namespace },
        spec: {
            replicas: 2,
            selector: { matchLabels: { app: 'web' } },
            template: { metadata: { labels: { app: 'web' } }, spec: { containers: [{ name: 'web', image: 'nginx:1.25' }] } },
        },
    };
    const made = await objects.create(deployment);
    equal(made.spec.strategy.type, 'RollingUpdate', 'defaulted strategy');
    const fetched = await objects.read({ apiVersion: 'apps/v1', kind: 'Deployment', metadata: { name: 'web', namespace } });
    equal(fetched.metadata.uid, made.metadata.uid, 'read through the object API');
    const typed = await apps.readNamespacedDeployment({ name: 'web', namespace });
    equal(typed.spec.template.spec.restartPolicy, 'Always', 'defaulted restartPolicy');

    const status = await core.deleteNamespacedConfigMap({ name: 'settings', namespace });
    equal(status.kind, 'Status', 'delete of a configmap answers a Status');
    await failsWith(() => core.readNamespacedConfigMap({ name: 'settings', namespace }), 404, 'NotFound', 'configmaps "settings" not found');

    await objects.delete(fetched, undefined, undefined, undefined, undefined, 'Foreground');
    const deleting = await apps.readNamespacedDeployment({ name: 'web', namespace });
    check(deleting.metadata.deletionTimestamp, 'a deletionTimestamp');
    check(deleting.metadata.finalizers.includes('foregroundDeletion'), 'the foregroundDeletion finalizer');
});
