// Errors surface as the client's ApiException with kube-apiserver's code, reason, message and details.
import { k8s, connect, newNamespace, check, equal, failsWith, run } from './compat.mjs';

run(async () => {
    const kc = connect();
    const core = kc.makeApiClient(k8s.CoreV1Api);
    const apps = kc.makeApiClient(k8s.AppsV1Api);
    const namespace = await newNamespace(kc, 'errors');

    const missing = await failsWith(() => core.readNamespacedSecret({ name: 'nope', namespace }), 404, 'NotFound', 'secrets "nope" not found');
    equal(missing.details, { name: 'nope', kind: 'secrets' }, 'NotFound details');
    const missingApp = await failsWith(() => apps.readNamespacedDeployment({ name: 'nope', namespace }), 404, 'NotFound', 'deployments.apps "nope" not found');
    equal(missingApp.details, { name: 'nope', group: 'apps', kind: 'deployments' }, 'NotFound details of a grouped resource');

    const cm = { metadata: { name: 'dup' } };
    await core.createNamespacedConfigMap({ namespace, body: cm });
    await failsWith(() => core.createNamespacedConfigMap({ namespace, body: cm }), 409, 'AlreadyExists', 'configmaps "dup" already exists');

    const bad = await failsWith(() => core.createNamespacedConfigMap({ namespace, body: { metadata: { name: 'Bad_Name' } } }), 422, 'Invalid');
    equal(bad.details.kind, 'ConfigMap', "Invalid details' kind");
    equal(bad.details.causes[0].field, 'metadata.name', "Invalid cause's field");
    equal(bad.details.causes[0].reason, 'FieldValueInvalid', "Invalid cause's reason");
    check(bad.message.startsWith('ConfigMap "Bad_Name" is invalid: metadata.name: Invalid value: "Bad_Name"'), `Invalid message: ${bad.message}`);

    const deleted = await core.deleteNamespacedConfigMap({ name: 'dup', namespace });
    equal(deleted.kind, 'Status', 'a delete answers a Status');
    equal(deleted.status, 'Success', "the delete Status' status");
    equal(deleted.details.name, 'dup', "the delete Status' details");
    await failsWith(() => core.deleteNamespacedConfigMap({ name: 'dup', namespace }), 404, 'NotFound');
    await failsWith(() => core.createNamespacedConfigMap({ namespace, dryRun: 'Bogus', body: { metadata: { name: 'y' } } }), 422, 'Invalid');
    await failsWith(() => core.createNamespacedConfigMap({ namespace: 'no-such-namespace', body: cm }), 404, 'NotFound', 'namespaces "no-such-namespace" not found');
    await failsWith(() => core.listNamespacedConfigMap({ namespace, resourceVersion: 'abc' }), 400, 'BadRequest');
});
