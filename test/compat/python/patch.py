"""The patch types: strategic merge (the typed API's dict body), JSON patch (its list body), merge patch and
server-side apply (the dynamic client), with field managers, an apply conflict and force."""
import json

from kubernetes import client
from kubernetes.dynamic import DynamicClient

from compat import connect, new_namespace, check, equal, fails_with, run


def main():
    api = connect()
    apps = client.AppsV1Api(api)
    ns = new_namespace(api, "patch")
    apps.create_namespaced_deployment(ns, {
        "apiVersion": "apps/v1", "kind": "Deployment",
        "metadata": {"name": "web", "labels": {"app": "web"}},
        "spec": {
            "replicas": 1,
            "selector": {"matchLabels": {"app": "web"}},
            "template": {
                "metadata": {"labels": {"app": "web"}},
                "spec": {"containers": [
                    {"name": "web", "image": "nginx:1.25"},
                    {"name": "sidecar", "image": "busybox:1.35"}]}}}})

    # Strategic merge: containers merge by name, so one entry changes and the other stays.
    smp = apps.patch_namespaced_deployment("web", ns, {
        "spec": {"template": {"spec": {"containers": [{"name": "web", "image": "nginx:1.26"}]}}}})
    images = {c.name: c.image for c in smp.spec.template.spec.containers}
    equal(images, {"web": "nginx:1.26", "sidecar": "busybox:1.35"}, "containers after a strategic merge patch")

    # JSON patch (a list body), with a test op.
    jp = apps.patch_namespaced_deployment("web", ns, [
        {"op": "test", "path": "/spec/replicas", "value": 1},
        {"op": "replace", "path": "/spec/replicas", "value": 2},
        {"op": "add", "path": "/metadata/labels/tier", "value": "front"}])
    equal(jp.spec.replicas, 2, "replicas after a JSON patch")
    equal(jp.metadata.labels.get("tier"), "front", "label added by a JSON patch")
    fails_with(lambda: apps.patch_namespaced_deployment("web", ns, [
        {"op": "test", "path": "/spec/replicas", "value": 7}]), 422, "Invalid")

    dynamic = DynamicClient(api)
    deployments = dynamic.resources.get(api_version="apps/v1", kind="Deployment")
    configmaps = dynamic.resources.get(api_version="v1", kind="ConfigMap")

    # Merge patch replaces lists whole and removes keys set to null.
    mp = deployments.patch(name="web", namespace=ns, content_type="application/merge-patch+json", body={
        "metadata": {"labels": {"tier": None}},
        "spec": {"template": {"spec": {"containers": [{"name": "web", "image": "nginx:1.27"}]}}}})
    equal([c["name"] for c in mp.to_dict()["spec"]["template"]["spec"]["containers"]], ["web"], "containers after a merge patch")
    check("tier" not in mp.to_dict()["metadata"]["labels"], "a label removed by null")

    # Server-side apply: created when absent, owned by the manager, a conflict for another, force takes over.
    body = json.dumps({"apiVersion": "v1", "kind": "ConfigMap", "metadata": {"name": "applied"}, "data": {"a": "1", "b": "2"}})
    applied = configmaps.server_side_apply(name="applied", namespace=ns, body=body, field_manager="alice")
    equal(applied.to_dict()["data"], {"a": "1", "b": "2"}, "data of an apply that creates")
    managers = {(m["manager"], m["operation"]) for m in applied.to_dict()["metadata"]["managedFields"]}
    equal(managers, {("alice", "Apply")}, "managedFields after the first apply")

    other = json.dumps({"apiVersion": "v1", "kind": "ConfigMap", "metadata": {"name": "applied"}, "data": {"a": "9"}})
    conflict = fails_with(lambda: configmaps.server_side_apply(name="applied", namespace=ns, body=other, field_manager="bob"), 409, "Conflict")
    equal(conflict["message"], 'Apply failed with 1 conflict: conflict with "alice": .data.a', "the conflict's message")
    equal(conflict["details"]["causes"][0]["reason"], "FieldManagerConflict", "the conflict's cause")

    forced = configmaps.server_side_apply(name="applied", namespace=ns, body=other, field_manager="bob", force_conflicts=True)
    equal(forced.to_dict()["data"], {"a": "9", "b": "2"}, "data after a forced apply")

    # alice stops sending b: it is removed, as nobody else owns it.
    dropped = json.dumps({"apiVersion": "v1", "kind": "ConfigMap", "metadata": {"name": "applied"}, "data": {}})
    after = configmaps.server_side_apply(name="applied", namespace=ns, body=dropped, field_manager="alice")
    equal(after.to_dict()["data"], {"a": "9"}, "data after alice stopped applying b")

    # A patch with the typed API's field manager records an Update entry under that name.
    patched = apps.patch_namespaced_deployment("web", ns, {"metadata": {"annotations": {"note": "x"}}}, field_manager="patcher")
    check(any(m.manager == "patcher" and m.operation == "Update" for m in patched.metadata.managed_fields), "an Update entry for the patcher")

    # Dry run: the answer is the patched object, nothing is stored.
    dry = apps.patch_namespaced_deployment("web", ns, {"spec": {"replicas": 5}}, dry_run="All")
    equal(dry.spec.replicas, 5, "the dry run's answer")
    equal(apps.read_namespaced_deployment("web", ns).spec.replicas, 2, "replicas after a dry run")


run(main)
