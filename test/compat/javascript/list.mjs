// Label and field selectors, and pagination with limit and continue (remainingItemCount, one snapshot).
import { k8s, connect, newNamespace, check, equal, failsWith, run } from './compat.mjs';

// Only this scenario's own: a full server publishes kube-root-ca.crt into every namespace.
const names = (list) => list.items.map((i) => i.metadata.name).filter((n) => n.startsWith('cm-')).sort();

run(async () => {
    const kc = connect();
    const core = kc.makeApiClient(k8s.CoreV1Api);
    const namespace = await newNamespace(kc, 'list');
    const labels = [{ tier: 'web', env: 'prod' }, { tier: 'web', env: 'dev' }, { tier: 'db', env: 'prod' }, { tier: 'db' }, { tier: 'cache', env: 'prod' }];
    for (const [i, l] of labels.entries()) {
        await core.createNamespacedConfigMap({ namespace, body: { metadata: { name: `cm-${i}`, labels: l } } });
    }
    const list = (query) => core.listNamespacedConfigMap({ namespace, ...query });

    equal(names(await list({ labelSelector: 'tier=web' })), ['cm-0', 'cm-1'], 'tier=web');
    equal(names(await list({ labelSelector: 'tier!=web,env' })), ['cm-2', 'cm-4'], 'tier!=web,env');
    equal(names(await list({ labelSelector: 'tier in (db,cache),env notin (dev)' })), ['cm-2', 'cm-3', 'cm-4'], 'set-based');
    equal(names(await list({ labelSelector: '!env' })), ['cm-3'], '!env');
    equal(names(await list({ fieldSelector: 'metadata.name=cm-3' })), ['cm-3'], 'a field selector');
    await failsWith(() => list({ labelSelector: 'tier in web' }), 400, 'BadRequest');
    await failsWith(() => list({ fieldSelector: 'data.x=1' }), 400, 'BadRequest');

    const total = (await list({})).items.length;
    const pages = [await list({ limit: 2 })];
    equal(pages[0].items.length, 2, "the first page's size");
    check(pages[0].metadata._continue, 'a continue token');
    equal(pages[0].metadata.remainingItemCount, total - 2, 'remainingItemCount');
    await core.createNamespacedConfigMap({ namespace, body: { metadata: { name: 'cm-9' } } });
    while (pages.at(-1).metadata._continue) {
        pages.push(await list({ limit: 2, _continue: pages.at(-1).metadata._continue }));
    }
    equal(pages.reduce((n, p) => n + p.items.length, 0), total, 'items in the pages (a write between pages is not seen)');
    equal(pages.flatMap(names).sort(), ['cm-0', 'cm-1', 'cm-2', 'cm-3', 'cm-4'], 'the pages');
    check(pages.every((p) => p.metadata.resourceVersion === pages[0].metadata.resourceVersion), "the pages' resourceVersion");

    const every = await core.listConfigMapForAllNamespaces({ labelSelector: 'tier=db' });
    equal(names({ items: every.items.filter((i) => i.metadata.namespace === namespace) }), ['cm-2', 'cm-3'], 'all namespaces');
    await failsWith(() => list({ limit: 2, _continue: 'not-a-token' }), 400, 'BadRequest');
});
