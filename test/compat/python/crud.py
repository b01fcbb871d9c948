"""Create, get, list, replace and delete with the typed APIs; a Service and a Deployment read back in full."""
from kubernetes import client

from compat import connect, new_namespace, check, equal, fails_with, run


def main():
    api = connect()
    core, apps = client.CoreV1Api(api), client.AppsV1Api(api)
    ns = new_namespace(api, "crud")

    created = core.create_namespaced_config_map(ns, client.V1ConfigMap(
        metadata=client.V1ObjectMeta(name="settings", labels={"app": "crud"}), data={"color": "blue"}))
    equal(created.metadata.name, "settings", "created name")
    equal(created.metadata.namespace, ns, "created namespace")
    check(created.metadata.uid, "a uid")
    check(int(created.metadata.resource_version) > 0, "a numeric resourceVersion")
    check(created.metadata.creation_timestamp is not None, "a creationTimestamp the client parses")

    read = core.read_namespaced_config_map("settings", ns)
    equal(read.data, {"color": "blue"}, "data read back")
    equal(read.metadata.resource_version, created.metadata.resource_version, "resourceVersion read back")

    listed = core.list_namespaced_config_map(ns)
    equal([c.metadata.name for c in listed.items if c.metadata.name == "settings"], ["settings"], "the list holds it")
    check(int(listed.metadata.resource_version) >= int(created.metadata.resource_version), "a list resourceVersion")

    read.data["color"] = "green"
    replaced = core.replace_namespaced_config_map("settings", ns, read)
    equal(replaced.data["color"], "green", "replaced data")
    check(int(replaced.metadata.resource_version) > int(read.metadata.resource_version), "resourceVersion moves on")

    # A replace from the old resourceVersion is a conflict, as on Kubernetes.
    stale = core.read_namespaced_config_map("settings", ns)
    stale.metadata.resource_version = created.metadata.resource_version
    fails_with(lambda: core.replace_namespaced_config_map("settings", ns, stale), 409, "Conflict")

    # Every non-pointer struct Go's encoder writes is there: a Service's status.loadBalancer.
    svc = core.create_namespaced_service(ns, client.V1Service(
        metadata=client.V1ObjectMeta(name="web"),
        spec=client.V1ServiceSpec(selector={"app": "web"}, ports=[client.V1ServicePort(port=80, target_port=8080)])))
    check(svc.spec.cluster_ip, "a clusterIP")
    equal(svc.spec.ports[0].protocol, "TCP", "defaulted protocol")
    check(svc.status is not None and svc.status.load_balancer is not None, "status.loadBalancer present")

    dep = apps.create_namespaced_deployment(ns, client.V1Deployment(
        metadata=client.V1ObjectMeta(name="web"),
        spec=client.V1DeploymentSpec(
            replicas=2,
            selector=client.V1LabelSelector(match_labels={"app": "web"}),
            template=client.V1PodTemplateSpec(
                metadata=client.V1ObjectMeta(labels={"app": "web"}),
                spec=client.V1PodSpec(containers=[client.V1Container(name="web", image="nginx:1.25")])))))
    equal(dep.spec.strategy.type, "RollingUpdate", "defaulted strategy")
    equal(dep.spec.template.spec.restart_policy, "Always", "defaulted restartPolicy")

    status = core.delete_namespaced_config_map("settings", ns)
    equal(status.kind, "Status", "delete of a configmap answers a Status")
    equal(status.status, "Success", "the delete Status")
    fails_with(lambda: core.read_namespaced_config_map("settings", ns), 404, "NotFound", 'configmaps "settings" not found')

    # A foreground delete (DeleteOptions in the body) leaves the Deployment for the garbage collector, marked.
    apps.delete_namespaced_deployment("web", ns, body=client.V1DeleteOptions(propagation_policy="Foreground"))
    deleting = apps.read_namespaced_deployment("web", ns)
    check(deleting.metadata.deletion_timestamp is not None, "a deletionTimestamp")
    check("foregroundDeletion" in (deleting.metadata.finalizers or []), "the foregroundDeletion finalizer")


run(main)
