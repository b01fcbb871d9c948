"""Label and field selectors, and pagination with limit and continue (remainingItemCount, one snapshot)."""
from kubernetes import client

from compat import connect, new_namespace, check, equal, fails_with, run


def names(result):
    # Only this scenario's own: a full server publishes kube-root-ca.crt into every namespace.
    return sorted(i.metadata.name for i in result.items if i.metadata.name.startswith("cm-"))


def main():
    api = connect()
    core = client.CoreV1Api(api)
    ns = new_namespace(api, "list")
    for i, (tier, env) in enumerate([("web", "prod"), ("web", "dev"), ("db", "prod"), ("db", None), ("cache", "prod")]):
        labels = {"tier": tier}
        if env:
            labels["env"] = env
        core.create_namespaced_config_map(ns, client.V1ConfigMap(metadata=client.V1ObjectMeta(name="cm-%d" % i, labels=labels)))

    equal(names(core.list_namespaced_config_map(ns, label_selector="tier=web")), ["cm-0", "cm-1"], "tier=web")
    equal(names(core.list_namespaced_config_map(ns, label_selector="tier!=web,env")), ["cm-2", "cm-4"], "tier!=web,env")
    equal(names(core.list_namespaced_config_map(ns, label_selector="tier in (db,cache),env notin (dev)")), ["cm-2", "cm-3", "cm-4"], "set-based")
    equal(names(core.list_namespaced_config_map(ns, label_selector="!env")), ["cm-3"], "!env")
    equal(names(core.list_namespaced_config_map(ns, field_selector="metadata.name=cm-3")), ["cm-3"], "a field selector")
    fails_with(lambda: core.list_namespaced_config_map(ns, label_selector="tier in web"), 400, "BadRequest")
    fails_with(lambda: core.list_namespaced_config_map(ns, field_selector="data.x=1"), 400, "BadRequest")

    # Pages of two: every item once, a continue token until the last page, which has none.
    total = len(core.list_namespaced_config_map(ns).items)
    first = core.list_namespaced_config_map(ns, limit=2)
    equal(len(first.items), 2, "the first page's size")
    check(first.metadata._continue, "a continue token")
    equal(first.metadata.remaining_item_count, total - 2, "remainingItemCount")
    # A write between pages is not seen: the pages are one snapshot.
    core.create_namespaced_config_map(ns, client.V1ConfigMap(metadata=client.V1ObjectMeta(name="cm-9")))
    second = core.list_namespaced_config_map(ns, limit=2, _continue=first.metadata._continue)
    pages = [first, second]
    while pages[-1].metadata._continue:
        pages.append(core.list_namespaced_config_map(ns, limit=2, _continue=pages[-1].metadata._continue))
    check(not pages[-1].metadata._continue, "no continue token on the last page")
    equal(sum(len(p.items) for p in pages), total, "items in the pages")
    equal(sorted(n for p in pages for n in names(p)), ["cm-0", "cm-1", "cm-2", "cm-3", "cm-4"], "the pages")
    equal(second.metadata.resource_version, first.metadata.resource_version, "the pages' resourceVersion")

    # Across namespaces, with the selector.
    every = core.list_config_map_for_all_namespaces(label_selector="tier=db")
    mine = sorted(i.metadata.name for i in every.items if i.metadata.namespace == ns)
    equal(mine, ["cm-2", "cm-3"], "all namespaces")
    check(all(i.metadata.labels.get("tier") == "db" for i in every.items), "the selector across namespaces")

    fails_with(lambda: core.list_namespaced_config_map(ns, limit=2, _continue="not-a-token"), 400, "BadRequest")


run(main)
