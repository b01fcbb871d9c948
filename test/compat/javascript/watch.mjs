// Watch from a list's resourceVersion with a label selector and bookmarks, and an informer (list, then watch) that
// sees adds, updates and deletes.
import { k8s, connect, newNamespace, check, equal, run, sleep } from './compat.mjs';

/** Watches path with query until stop(events) says so or the server ends the watch; the events seen. */
function watchUntil(kc, path, query, stop) {
    return new Promise((resolve, reject) => {
        const events = [];
        let controller;
        new k8s.Watch(kc)
            .watch(path, query, (type, obj) => {
                events.push([type, obj]);
                if (stop(events)) {
                    controller.abort();
                    resolve(events);
                }
            }, (err) => (err && err.name !== 'AbortError' ? reject(err) : resolve(events)))
            .then((c) => (controller = c), reject);
    });
}

run(async () => {
    const kc = connect();
    const core = kc.makeApiClient(k8s.CoreV1Api);
    const namespace = await newNamespace(kc, 'watch');
    const path = `/api/v1/namespaces/${namespace}/configmaps`;
    await core.createNamespacedConfigMap({ namespace, body: { metadata: { name: 'before', labels: { w: 'yes' } } } });
    const rv = (await core.listNamespacedConfigMap({ namespace })).metadata.resourceVersion;

    const watched = watchUntil(kc, path, { resourceVersion: rv, labelSelector: 'w=yes', timeoutSeconds: 10 }, (events) => events.at(-1)[0] === 'DELETED');
    await sleep(300);
    await core.createNamespacedConfigMap({ namespace, body: { metadata: { name: 'other', labels: { w: 'no' } } } });
    await core.createNamespacedConfigMap({ namespace, body: { metadata: { name: 'seen', labels: { w: 'yes' } }, data: { v: '1' } } });
    await core.replaceNamespacedConfigMap({ name: 'seen', namespace, body: { ...(await core.readNamespacedConfigMap({ name: 'seen', namespace })), data: { v: '2' } } });
    await core.deleteNamespacedConfigMap({ name: 'seen', namespace });
    const events = await watched;
    equal(events.map(([type, obj]) => [type, obj.metadata.name]), [['ADDED', 'seen'], ['MODIFIED', 'seen'], ['DELETED', 'seen']], 'the events from the list resourceVersion');
    equal(events[1][1].data, { v: '2' }, 'the MODIFIED object');

    // Bookmarks: one before the watch's timeout ends it (kube-apiserver sends it 2s before the deadline).
    const now = (await core.listNamespacedConfigMap({ namespace })).metadata.resourceVersion;
    const started = Date.now();
    const quiet = await watchUntil(kc, path, { resourceVersion: now, allowWatchBookmarks: true, timeoutSeconds: 4 }, () => false);
    check(Date.now() - started < 9000, 'the watch ends at its timeoutSeconds');
    const bookmarks = quiet.filter(([type]) => type === 'BOOKMARK');
    check(bookmarks.length >= 1, 'a bookmark before the timeout');
    equal(bookmarks[0][1].kind, 'ConfigMap', "a bookmark's kind");
    check(Number(bookmarks[0][1].metadata.resourceVersion) >= Number(now), "a bookmark's resourceVersion");

    // An informer: its list, then its watch.
    const informer = k8s.makeInformer(kc, path, () => core.listNamespacedConfigMap({ namespace }));
    const seen = [];
    for (const verb of [k8s.ADD, k8s.UPDATE, k8s.DELETE]) {
        informer.on(verb, (obj) => seen.push([verb, obj.metadata.name]));
    }
    informer.on(k8s.ERROR, (err) => seen.push(['error', String(err)]));
    await informer.start();
    await core.createNamespacedConfigMap({ namespace, body: { metadata: { name: 'informed' } } });
    await core.patchNamespacedConfigMap({ name: 'informed', namespace, body: { data: { x: '1' } } }, k8s.setHeaderOptions('Content-Type', k8s.PatchStrategy.MergePatch));
    await core.deleteNamespacedConfigMap({ name: 'informed', namespace });
    for (let i = 0; i < 100 && !seen.some(([verb, name]) => verb === k8s.DELETE && name === 'informed'); i++) {
        await sleep(100);
    }
    await informer.stop();
    check(!seen.some(([verb]) => verb === 'error'), `no informer errors: ${JSON.stringify(seen)}`);
    check(seen.some(([verb, name]) => verb === k8s.ADD && name === 'before'), 'the informer listed what was there');
    equal(seen.filter(([, name]) => name === 'informed'), [[k8s.ADD, 'informed'], [k8s.UPDATE, 'informed'], [k8s.DELETE, 'informed']], 'the informer saw the changes');
    check(informer.list().every((o) => o.metadata.name !== 'informed'), "the informer's cache");
});
