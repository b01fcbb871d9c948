"""Errors surface as the client's ApiException with kube-apiserver's code, reason, message and details."""
from kubernetes import client

from compat import connect, new_namespace, check, equal, fails_with, run


def main():
    api = connect()
    core, apps = client.CoreV1Api(api), client.AppsV1Api(api)
    ns = new_namespace(api, "errors")

    missing = fails_with(lambda: core.read_namespaced_secret("nope", ns), 404, "NotFound", 'secrets "nope" not found')
    equal(missing["details"], {"name": "nope", "kind": "secrets"}, "NotFound details")
    fails_with(lambda: core.read_namespaced_config_map("nope", "no-such-namespace"), 404, "NotFound", 'configmaps "nope" not found')

    cm = client.V1ConfigMap(metadata=client.V1ObjectMeta(name="dup"))
    core.create_namespaced_config_map(ns, cm)
    exists = fails_with(lambda: core.create_namespaced_config_map(ns, cm), 409, "AlreadyExists", 'configmaps "dup" already exists')
    equal(exists["details"], {"name": "dup", "kind": "configmaps"}, "AlreadyExists details")

    bad = fails_with(lambda: core.create_namespaced_config_map(ns, client.V1ConfigMap(metadata=client.V1ObjectMeta(name="Bad_Name"))), 422, "Invalid")
    equal(bad["details"]["kind"], "ConfigMap", "Invalid details' kind")
    equal(bad["details"]["causes"][0]["field"], "metadata.name", "Invalid cause's field")
    equal(bad["details"]["causes"][0]["reason"], "FieldValueInvalid", "Invalid cause's reason")
    check(bad["message"].startswith('ConfigMap "Bad_Name" is invalid: metadata.name: Invalid value: "Bad_Name"'), "Invalid message: " + bad["message"])

    fails_with(lambda: apps.create_namespaced_deployment(ns, {
        "apiVersion": "apps/v1", "kind": "Deployment", "metadata": {"name": "noselector"},
        "spec": {"template": {"spec": {"containers": [{"name": "c", "image": "x"}]}}}}), 422, "Invalid")

    # A namespace mismatch between the path and the body.
    fails_with(lambda: core.create_namespaced_config_map(ns, client.V1ConfigMap(metadata=client.V1ObjectMeta(name="x", namespace="elsewhere"))), 400, "BadRequest")
    # dryRun other than All.
    fails_with(lambda: core.create_namespaced_config_map(ns, client.V1ConfigMap(metadata=client.V1ObjectMeta(name="y")), dry_run="Bogus"), 422, "Invalid")
    # A body of the wrong kind.
    fails_with(lambda: core.create_namespaced_config_map(ns, {"apiVersion": "v1", "kind": "Secret", "metadata": {"name": "z"}}), 400, "BadRequest")
    # Objects in a namespace that does not exist cannot be created.
    fails_with(lambda: core.create_namespaced_config_map("no-such-namespace", cm), 404, "NotFound", 'namespaces "no-such-namespace" not found')


run(main)
