// The patch types through the typed API's Content-Type option (JSON patch is the generated client's default),
// server-side apply through KubernetesObjectApi.patch, field managers, an apply conflict, force and a dry run.
import { k8s, connect, newNamespace, check, equal, failsWith, patchAs, run } from './compat.mjs';

run(async () => {
    const kc = connect();
    const apps = kc.makeApiClient(k8s.AppsV1Api);
    const core = kc.makeApiClient(k8s.CoreV1Api);
    const namespace = await newNamespace(kc, 'patch');
    await apps.createNamespacedDeployment({
        namespace,
        body: {
            metadata: { name: 'web', labels: { app: 'web' } },
            spec: {
                replicas: 1,
                selector: { matchLabels: { app: 'web' } },
                template: {
                    metadata: { labels: { app: 'web' } },
                    spec: { containers: [{ name: 'web', image: 'nginx:1.25' }, { name: 'sidecar', image: 'busybox:1.35' }] },
                },
            },
        },
    });

    const smp = await apps.patchNamespacedDeployment(
        { name: 'web', namespace, body: { spec: { template: { spec: { containers: [{ name: 'web', image: 'nginx:1.26' }] } } } } },
        patchAs(k8s.PatchStrategy.StrategicMergePatch),
    );
    equal(Object.fromEntries(smp.spec.template.spec.containers.map((c) => [c.name, c.image])), { web: 'nginx:1.26', sidecar: 'busybox:1.35' }, 'containers after a strategic merge patch');

    const jp = await apps.patchNamespacedDeployment({
        name: 'web',
        namespace,
        body: [
            { op: 'test', path: '/spec/replicas', value: 1 },
            { op: 'replace', path: '/spec/replicas', value: 2 },
            { op: 'add', path: '/metadata/labels/tier', value: 'front' },
        ],
    });
    equal(jp.spec.replicas, 2, 'replicas after a JSON patch');
    equal(jp.metadata.labels.tier, 'front', 'label added by a JSON patch');
    await failsWith(() => apps.patchNamespacedDeployment({ name: 'web', namespace, body: [{ op: 'test', path: '/spec/replicas', value: 7 }] }), 422, 'Invalid');

    const mp = await apps.patchNamespacedDeployment(
        { name: 'web', namespace, body: { metadata: { labels: { tier: null } }, spec: { template: { spec: { containers: [{ name: 'web', image: 'nginx:1.27' }] } } } } },
        patchAs(k8s.PatchStrategy.MergePatch),
    );
    equal(mp.spec.template.spec.containers.map((c) => c.name), ['web'], 'containers after a merge patch');
    check(!('tier' in mp.metadata.labels), 'a label removed by null');

    // Server-side apply: created when absent, owned by its manager, a conflict for another, force takes over.
    const objects = k8s.KubernetesObjectApi.makeApiClient(kc);
    const applied = await objects.patch(
        { apiVersion: 'v1', kind: 'ConfigMap', metadata: { name: 'applied', namespace }, data: { a: '1', b: '2' } },
        undefined, undefined, 'alice', undefined, k8s.PatchStrategy.ServerSideApply,
    );
    equal(applied.data, { a: '1', b: '2' }, 'data of an apply that creates');
    equal(applied.metadata.managedFields.map((m) => [m.manager, m.operation]), [['alice', 'Apply']], 'managedFields after the first apply');

    const bobs = { apiVersion: 'v1', kind: 'ConfigMap', metadata: { name: 'applied', namespace }, data: { a: '9' } };
    const conflict = await failsWith(() => objects.patch(bobs, undefined, undefined, 'bob', undefined, k8s.PatchStrategy.ServerSideApply), 409, 'Conflict');
    equal(conflict.message, 'Apply failed with 1 conflict: conflict with "alice": .data.a', "the conflict's message");
    equal(conflict.details.causes, [{ reason: 'FieldManagerConflict', message: 'conflict with "alice"', field: '.data.a' }], "the conflict's causes");

    const forced = await objects.patch(bobs, undefined, undefined, 'bob', true, k8s.PatchStrategy.ServerSideApply);
    equal(forced.data, { a: '9', b: '2' }, 'data after a forced apply');
    const after = await objects.patch(
        { apiVersion: 'v1', kind: 'ConfigMap', metadata: { name: 'applied', namespace }, data: {} },
        undefined, undefined, 'alice', undefined, k8s.PatchStrategy.ServerSideApply,
    );
    equal(after.data, { a: '9' }, 'data after alice stopped applying b');

    // Apply through the typed API with its own Content-Type (a YAML-compatible JSON body).
    const typed = await core.patchNamespacedConfigMap(
        { name: 'applied', namespace, fieldManager: 'carol', body: { apiVersion: 'v1', kind: 'ConfigMap', metadata: { name: 'applied' }, data: { c: '3' } } },
        patchAs(k8s.PatchStrategy.ServerSideApply),
    );
    equal(typed.data, { a: '9', c: '3' }, 'data after carol applied c');

    const dry = await apps.patchNamespacedDeployment(
        { name: 'web', namespace, dryRun: 'All', body: { spec: { replicas: 5 } } },
        patchAs(k8s.PatchStrategy.StrategicMergePatch),
    );
    equal(dry.spec.replicas, 5, "the dry run's answer");
    equal((await apps.readNamespacedDeployment({ name: 'web', namespace })).spec.replicas, 2, 'replicas after a dry run');
});
