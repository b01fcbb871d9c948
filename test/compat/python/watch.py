"""Watch from a list's resourceVersion (the client sends watch=True), with bookmarks, a label selector and the
events of a create, update and delete in order."""
import threading
import time

from kubernetes import client, watch

from compat import connect, new_namespace, check, equal, run


def main():
    api = connect()
    core = client.CoreV1Api(api)
    ns = new_namespace(api, "watch")
    core.create_namespaced_config_map(ns, client.V1ConfigMap(metadata=client.V1ObjectMeta(name="before", labels={"w": "yes"})))
    rv = core.list_namespaced_config_map(ns).metadata.resource_version

    def writes():
        time.sleep(0.5)
        core.create_namespaced_config_map(ns, client.V1ConfigMap(metadata=client.V1ObjectMeta(name="other", labels={"w": "no"})))
        core.create_namespaced_config_map(ns, client.V1ConfigMap(metadata=client.V1ObjectMeta(name="seen", labels={"w": "yes"}), data={"v": "1"}))
        core.patch_namespaced_config_map("seen", ns, {"data": {"v": "2"}})
        core.delete_namespaced_config_map("seen", ns)

    writer = threading.Thread(target=writes)
    writer.start()
    events = []
    w = watch.Watch()
    for event in w.stream(core.list_namespaced_config_map, ns, resource_version=rv, label_selector="w=yes", timeout_seconds=10):
        events.append((event["type"], event["raw_object"]["metadata"].get("name")))
        if event["type"] == "DELETED":
            w.stop()
    writer.join()
    # "before" was created before rv, "other" does not match the selector.
    equal(events, [("ADDED", "seen"), ("MODIFIED", "seen"), ("DELETED", "seen")], "the events from the list's resourceVersion")

    # A watch that allows bookmarks gets one before its timeout ends it, as kube-apiserver sends them 2s before then.
    rv = core.list_namespaced_config_map(ns).metadata.resource_version
    started = time.monotonic()
    bookmarks = []
    for event in watch.Watch().stream(core.list_namespaced_config_map, ns, resource_version=rv, allow_watch_bookmarks=True, timeout_seconds=4):
        if event["type"] == "BOOKMARK":
            bookmarks.append(event["raw_object"])
    check(time.monotonic() - started < 9, "the watch ends at its timeoutSeconds")
    check(len(bookmarks) >= 1, "a bookmark before the watch's timeout")
    equal(bookmarks[0]["kind"], "ConfigMap", "a bookmark's kind")
    check(int(bookmarks[0]["metadata"]["resourceVersion"]) >= int(rv), "a bookmark's resourceVersion")


run(main)
