"""The status subresource: read, replace and patch a Deployment's status; the main resource ignores status and the
status subresource ignores spec, as Kubernetes' strategies do."""
from kubernetes import client

from compat import connect, new_namespace, check, equal, run


def main():
    api = connect()
    apps = client.AppsV1Api(api)
    ns = new_namespace(api, "status")
    apps.create_namespaced_deployment(ns, client.V1Deployment(
        metadata=client.V1ObjectMeta(name="web"),
        spec=client.V1DeploymentSpec(
            replicas=1,
            selector=client.V1LabelSelector(match_labels={"app": "web"}),
            template=client.V1PodTemplateSpec(
                metadata=client.V1ObjectMeta(labels={"app": "web"}),
                spec=client.V1PodSpec(containers=[client.V1Container(name="web", image="nginx:1.25")]))),
        status=client.V1DeploymentStatus(replicas=7)))
    created = apps.read_namespaced_deployment_status("web", ns)
    check(not created.status.replicas, "status sent with a create is dropped")

    created.status = client.V1DeploymentStatus(replicas=1, ready_replicas=1, observed_generation=1)
    created.spec.replicas = 5
    replaced = apps.replace_namespaced_deployment_status("web", ns, created)
    equal(replaced.status.ready_replicas, 1, "status.readyReplicas after replacing status")
    equal(replaced.spec.replicas, 1, "spec after replacing status (ignored)")

    patched = apps.patch_namespaced_deployment_status("web", ns, {"status": {"availableReplicas": 1}})
    equal(patched.status.available_replicas, 1, "status.availableReplicas after a status patch")
    equal(patched.status.ready_replicas, 1, "status kept by a status patch")

    main_write = apps.patch_namespaced_deployment("web", ns, {"status": {"readyReplicas": 0}, "spec": {"replicas": 3}})
    equal(main_write.spec.replicas, 3, "spec after a patch of the main resource")
    equal(main_write.status.ready_replicas, 1, "status after a patch of the main resource (ignored)")
    check(main_write.metadata.generation == 2, "generation moves with spec")

    fields = {(m.manager, m.subresource or "") for m in apps.read_namespaced_deployment("web", ns).metadata.managed_fields}
    check(any(sub == "status" for _, sub in fields), "a managedFields entry for the status subresource")


run(main)
