using k8s.Models;
using static Navarch.ApiServer.Authorization.PolicyRuleBuilder;

namespace Navarch.ApiServer.Authorization;

/// <summary>
/// Kubernetes' controller roles (bootstrappolicy/controller_policy.go) for the controllers Navarch runs: one ClusterRole
/// <c>system:controller:&lt;name&gt;</c> per controller, bound to the service account <c>kube-system/&lt;name&gt;</c>
/// that kube-controller-manager's <c>--use-service-account-credentials</c> gives each controller.
/// </summary>
internal static class ControllerPolicy
{
    private const string Prefix = "system:controller:";
    private const string Legacy = "";
    private const string Apps = "apps";
    private const string Batch = "batch";
    private const string Discovery = "discovery.k8s.io";
    private const string Extensions = "extensions";
    private const string Networking = "networking.k8s.io";

    /// <summary>eventsRule: recording events, core and events.k8s.io.</summary>
    public static V1PolicyRule EventsRule => NewRule("create", "update", "patch").Groups(Legacy, "events.k8s.io").Resources("events");

    public static IEnumerable<V1ClusterRole> ClusterRoles() => Roles().Select(r => new V1ClusterRole { Metadata = BootstrapPolicy.Meta(Prefix + r.Name), Rules = r.Rules });

    public static IEnumerable<V1ClusterRoleBinding> ClusterRoleBindings() =>
        Roles().Select(r => BootstrapPolicy.Binding(Prefix + r.Name, BootstrapPolicy.ServiceAccount("kube-system", r.Name)));

    private static IEnumerable<(string Name, List<V1PolicyRule> Rules)> Roles()
    {
        // It must hold everything on ClusterRoles to write any aggregation.
        yield return ("attachdetach-controller",
        [
            NewRule("list", "watch").Groups(Legacy).Resources("persistentvolumes", "persistentvolumeclaims"),
            NewRule("get", "list", "watch").Groups(Legacy).Resources("nodes"),
            NewRule("patch", "update").Groups(Legacy).Resources("nodes/status"),
            NewRule("list", "watch").Groups(Legacy).Resources("pods"),
            EventsRule,
            NewRule("get", "create", "delete", "list", "watch").Groups("storage.k8s.io").Resources("volumeattachments"),
            NewRule("get", "list", "watch").Groups("storage.k8s.io").Resources("csidrivers", "csinodes"),
        ]);
        yield return ("clusterrole-aggregation-controller", [NewRule("escalate", "get", "list", "watch", "update", "patch").Groups("rbac.authorization.k8s.io").Resources("clusterroles")]);
        yield return ("cronjob-controller",
        [
            NewRule("get", "list", "watch", "update").Groups(Batch).Resources("cronjobs"),
            NewRule("get", "list", "watch", "create", "update", "delete", "patch").Groups(Batch).Resources("jobs"),
            NewRule("update").Groups(Batch).Resources("cronjobs/status"),
            NewRule("update").Groups(Batch).Resources("cronjobs/finalizers"),
            NewRule("list", "delete").Groups(Legacy).Resources("pods"),
            EventsRule,
        ]);
        yield return ("daemon-set-controller",
        [
            NewRule("get", "list", "watch").Groups(Extensions, Apps).Resources("daemonsets"),
            NewRule("update").Groups(Extensions, Apps).Resources("daemonsets/status"),
            NewRule("update").Groups(Extensions, Apps).Resources("daemonsets/finalizers"),
            NewRule("list", "watch").Groups(Legacy).Resources("nodes"),
            NewRule("list", "watch", "create", "delete", "patch").Groups(Legacy).Resources("pods"),
            NewRule("create").Groups(Legacy).Resources("pods/binding"),
            NewRule("get", "list", "watch", "create", "delete", "update", "patch").Groups(Apps).Resources("controllerrevisions"),
            EventsRule,
        ]);
        yield return ("deployment-controller",
        [
            NewRule("get", "list", "watch", "update").Groups(Extensions, Apps).Resources("deployments"),
            NewRule("update").Groups(Extensions, Apps).Resources("deployments/status"),
            NewRule("update").Groups(Extensions, Apps).Resources("deployments/finalizers"),
            NewRule("get", "list", "watch", "create", "update", "patch", "delete").Groups(Apps, Extensions).Resources("replicasets"),
            NewRule("get", "list", "watch", "update").Groups(Legacy).Resources("pods"),
            EventsRule,
        ]);
        yield return ("disruption-controller",
        [
            NewRule("get", "list", "watch").Groups(Extensions, Apps).Resources("deployments"),
            NewRule("get", "list", "watch").Groups(Apps, Extensions).Resources("replicasets"),
            NewRule("get", "list", "watch").Groups(Legacy).Resources("replicationcontrollers"),
            NewRule("get", "list", "watch").Groups("policy").Resources("poddisruptionbudgets"),
            NewRule("get", "list", "watch").Groups(Apps).Resources("statefulsets"),
            NewRule("update").Groups("policy").Resources("poddisruptionbudgets/status"),
            NewRule("get").Groups("*").Resources("*/scale"),
            EventsRule,
        ]);
        yield return ("endpoint-controller",
        [
            NewRule("get", "list", "watch").Groups(Legacy).Resources("services", "pods"),
            NewRule("get", "list", "create", "update", "delete").Groups(Legacy).Resources("endpoints"),
            NewRule("create").Groups(Legacy).Resources("endpoints/restricted"),
            EventsRule,
        ]);
        yield return ("endpointslice-controller",
        [
            NewRule("get", "list", "watch").Groups(Legacy).Resources("services", "pods", "nodes"),
            NewRule("update").Groups(Legacy).Resources("services/finalizers"),
            NewRule("get", "list", "create", "update", "delete").Groups(Discovery).Resources("endpointslices"),
            EventsRule,
        ]);
        yield return ("generic-garbage-collector", [NewRule("get", "list", "watch", "patch", "update", "delete").Groups("*").Resources("*"), EventsRule]);
        yield return ("horizontal-pod-autoscaler",
        [
            NewRule("get", "list", "watch").Groups("autoscaling").Resources("horizontalpodautoscalers"),
            NewRule("update").Groups("autoscaling").Resources("horizontalpodautoscalers/status"),
            NewRule("get", "update").Groups("*").Resources("*/scale"),
            NewRule("list").Groups(Legacy).Resources("pods"),
            NewRule("list").Groups("metrics.k8s.io").Resources("pods"),
            NewRule("get", "list").Groups("custom.metrics.k8s.io").Resources("*"),
            NewRule("get", "list").Groups("external.metrics.k8s.io").Resources("*"),
            EventsRule,
        ]);
        yield return ("job-controller",
        [
            NewRule("get", "list", "watch", "update", "patch").Groups(Batch).Resources("jobs"),
            NewRule("update").Groups(Batch).Resources("jobs/status"),
            NewRule("update").Groups(Batch).Resources("jobs/finalizers"),
            NewRule("list", "watch", "create", "delete", "patch").Groups(Legacy).Resources("pods"),
            EventsRule,
        ]);
        yield return ("namespace-controller",
        [
            NewRule("get", "list", "watch", "delete").Groups(Legacy).Resources("namespaces"),
            NewRule("update").Groups(Legacy).Resources("namespaces/finalize", "namespaces/status"),
            NewRule("get", "list", "delete", "deletecollection").Groups("*").Resources("*"),
        ]);
        yield return ("node-controller",
        [
            NewRule("get", "list", "update", "delete", "patch").Groups(Legacy).Resources("nodes"),
            NewRule("patch", "update").Groups(Legacy).Resources("nodes/status"),
            NewRule("update").Groups(Legacy).Resources("pods/status"),
            NewRule("list", "delete").Groups(Legacy).Resources("pods"),
            NewRule("get", "list", "create", "update").Groups(Networking).Resources("clustercidrs"),
            EventsRule,
            NewRule("get").Groups(Legacy).Resources("pods"),
            NewRule("patch").Groups(Legacy).Resources("pods/status"),
        ]);
        yield return ("pod-garbage-collector",
        [
            NewRule("list", "watch", "delete").Groups(Legacy).Resources("pods"),
            NewRule("get", "list").Groups(Legacy).Resources("nodes"),
            NewRule("patch").Groups(Legacy).Resources("pods/status"),
        ]);
        yield return ("replicaset-controller",
        [
            NewRule("get", "list", "watch", "update").Groups(Apps, Extensions).Resources("replicasets"),
            NewRule("update").Groups(Apps, Extensions).Resources("replicasets/status"),
            NewRule("update").Groups(Apps, Extensions).Resources("replicasets/finalizers"),
            NewRule("list", "watch", "patch", "create", "delete").Groups(Legacy).Resources("pods"),
            EventsRule,
        ]);
        yield return ("replication-controller",
        [
            NewRule("get", "list", "watch", "update").Groups(Legacy).Resources("replicationcontrollers"),
            NewRule("update").Groups(Legacy).Resources("replicationcontrollers/status"),
            NewRule("update").Groups(Legacy).Resources("replicationcontrollers/finalizers"),
            NewRule("list", "watch", "patch", "create", "delete").Groups(Legacy).Resources("pods"),
            EventsRule,
        ]);
        yield return ("service-account-controller", [NewRule("create").Groups(Legacy).Resources("serviceaccounts"), EventsRule]);
        yield return ("statefulset-controller",
        [
            NewRule("list", "watch").Groups(Legacy).Resources("pods"),
            NewRule("get", "list", "watch").Groups(Apps).Resources("statefulsets"),
            NewRule("update").Groups(Apps).Resources("statefulsets/status"),
            NewRule("update").Groups(Apps).Resources("statefulsets/finalizers"),
            NewRule("get", "create", "delete", "update", "patch").Groups(Legacy).Resources("pods"),
            NewRule("get", "create", "delete", "update", "patch", "list", "watch").Groups(Apps).Resources("controllerrevisions"),
            NewRule("get", "create").Groups(Legacy).Resources("persistentvolumeclaims"),
            EventsRule,
            NewRule("update").Groups(Legacy).Resources("persistentvolumeclaims"),
        ]);
        yield return ("ttl-after-finished-controller", [NewRule("get", "list", "watch", "delete").Groups(Batch).Resources("jobs"), EventsRule]);
        yield return ("root-ca-cert-publisher", [NewRule("create", "update").Groups(Legacy).Resources("configmaps"), EventsRule]);
    }
}
