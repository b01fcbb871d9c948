// The status subresource: read, replace and patch a Deployment's status; the main resource ignores status and the
// status subresource ignores spec.
import { k8s, connect, newNamespace, check, equal, patchAs, run } from './compat.mjs';

run(async () => {
    const kc = connect();
    const apps = kc.makeApiClient(k8s.AppsV1Api);
    const namespace = await newNamespace(kc, 'status');
    await apps.createNamespacedDeployment({
        namespace,
        body: {
            metadata: { name: 'web' },
            spec: {
                replicas: 1,
                selector: { matchLabels: { app: 'web' } },
                template: { metadata: { labels: { app: 'web' } }, spec: { containers: [{ name: 'web', image: 'nginx:1.25' }] } },
            },
            status: { replicas: 7 },
        },
    });
    const created = await apps.readNamespacedDeploymentStatus({ name: 'web', namespace });
    check(created.status && !created.status.replicas, 'status sent with a create is dropped (and an empty status is there)');

    created.status = { replicas: 1, readyReplicas: 1, observedGeneration: 1 };
    created.spec.replicas = 5;
    const replaced = await apps.replaceNamespacedDeploymentStatus({ name: 'web', namespace, body: created });
    equal(replaced.status.readyReplicas, 1, 'status.readyReplicas after replacing status');
    equal(replaced.spec.replicas, 1, 'spec after replacing status (ignored)');

    const patched = await apps.patchNamespacedDeploymentStatus(
        { name: 'web', namespace, body: { status: { availableReplicas: 1 } } },
        patchAs(k8s.PatchStrategy.MergePatch),
    );
    equal(patched.status.availableReplicas, 1, 'status.availableReplicas after a status patch');
    equal(patched.status.readyReplicas, 1, 'status kept by a status patch');

    const main = await apps.patchNamespacedDeployment(
        { name: 'web', namespace, body: { status: { readyReplicas: 0 }, spec: { replicas: 3 } } },
        patchAs(k8s.PatchStrategy.StrategicMergePatch),
    );
    equal(main.spec.replicas, 3, 'spec after a patch of the main resource');
    equal(main.status.readyReplicas, 1, 'status after a patch of the main resource (ignored)');
    equal(main.metadata.generation, 2, 'generation moves with spec');
    check(main.metadata.managedFields.some((m) => m.subresource === 'status'), 'a managedFields entry for the status subresource');
});
