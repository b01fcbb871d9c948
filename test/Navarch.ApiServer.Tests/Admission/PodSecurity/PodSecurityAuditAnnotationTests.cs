using k8s;
using k8s.Models;
using Navarch.Api;
using Navarch.Api.Resources;
using Navarch.ApiServer.Admission;
using Navarch.ApiServer.Admission.PodSecurity;
using static Navarch.ApiServer.Tests.Admission.PodSecurity.Pods;

namespace Navarch.ApiServer.Tests.Admission.PodSecurity;

/// <summary>
/// The audit annotations the plugin leaves on the admission request for the audit log
/// (<c>pod-security.kubernetes.io/enforce-policy</c>, <c>audit-violations</c>, <c>exempt</c>), reading namespaces
/// from a real server's store.
/// </summary>
[Trait("Category", "Integration")]
public sealed class PodSecurityAuditAnnotationTests(ServerFixture server) : IClassFixture<ServerFixture>
{
    private static readonly ResourceDefinition PodsResource = ResourceCatalog.Default.Find("", "v1", "pods")!;

    [Fact]
    public async Task Enforced_policy_and_audit_violations_are_recorded_even_when_the_pod_is_refused()
    {
        await server.Client.CoreV1.CreateNamespaceAsync(new V1Namespace
        {
            Metadata = new V1ObjectMeta
            {
                Name = "psa-audit",
                Labels = new Dictionary<string, string> { ["pod-security.kubernetes.io/enforce"] = "baseline", ["pod-security.kubernetes.io/audit"] = "restricted" },
            },
        });
        PodSecurityAdmission plugin = Plugin(PodSecurityConfiguration.Default);

        AdmissionRequest allowed = Request("psa-audit", Containers(C("main")));
        await plugin.AdmitAsync(allowed, CancellationToken.None);
        Assert.Equal("baseline:latest", allowed.AuditAnnotations["pod-security.kubernetes.io/enforce-policy"]);
        Assert.StartsWith("would violate PodSecurity \"restricted:latest\": allowPrivilegeEscalation != false (container \"main\"", allowed.AuditAnnotations["pod-security.kubernetes.io/audit-violations"], StringComparison.Ordinal);
        Assert.Empty(allowed.Warnings);

        V1Pod hostIpc = Containers(C("main"));
        hostIpc.Spec.HostIPC = true;
        AdmissionRequest refused = Request("psa-audit", hostIpc);
        StatusException e = await Assert.ThrowsAsync<StatusException>(() => plugin.AdmitAsync(refused, CancellationToken.None).AsTask());
        Assert.Equal(403, e.Status.Code);
        Assert.StartsWith("would violate PodSecurity \"restricted:latest\": host namespaces (hostIPC=true), allowPrivilegeEscalation", refused.AuditAnnotations["pod-security.kubernetes.io/audit-violations"], StringComparison.Ordinal);

        AdmissionRequest compliant = Request("psa-audit", Restricted());
        await plugin.AdmitAsync(compliant, CancellationToken.None);
        Assert.Equal(["pod-security.kubernetes.io/enforce-policy"], compliant.AuditAnnotations.Keys);
    }

    [Fact]
    public async Task Exemptions_and_privileged_namespaces_are_annotated()
    {
        await server.Client.CoreV1.CreateNamespaceAsync(new V1Namespace { Metadata = new V1ObjectMeta { Name = "psa-open" } });
        var configuration = PodSecurityConfiguration.Default with
        {
            ExemptNamespaces = new HashSet<string> { "psa-exempt" },
            ExemptRuntimeClasses = new HashSet<string> { "kata" },
            ExemptUsernames = new HashSet<string> { "ci" },
        };
        PodSecurityAdmission plugin = Plugin(configuration with { Defaults = new Policy(new LevelVersion(Level.Restricted, PolicyVersion.Latest), LevelVersion.PrivilegedLatest, LevelVersion.PrivilegedLatest) });

        AdmissionRequest byNamespace = Request("psa-exempt", Containers(C("main")));
        await plugin.AdmitAsync(byNamespace, CancellationToken.None);
        Assert.Equal("namespace", byNamespace.AuditAnnotations["pod-security.kubernetes.io/exempt"]);

        AdmissionRequest byUser = Request("psa-open", Containers(C("main"))) with { User = new Navarch.ApiServer.Http.UserInfo("ci", "", []) };
        await plugin.AdmitAsync(byUser, CancellationToken.None);
        Assert.Equal("user", byUser.AuditAnnotations["pod-security.kubernetes.io/exempt"]);

        V1Pod kata = Containers(C("main"));
        kata.Spec.RuntimeClassName = "kata";
        AdmissionRequest byRuntimeClass = Request("psa-open", kata);
        await plugin.AdmitAsync(byRuntimeClass, CancellationToken.None);
        Assert.Equal("runtimeClass", byRuntimeClass.AuditAnnotations["pod-security.kubernetes.io/exempt"]);

        AdmissionRequest privileged = Request("psa-open", Containers(C("main")));
        await Plugin(configuration).AdmitAsync(privileged, CancellationToken.None);
        Assert.Equal("privileged:latest", privileged.AuditAnnotations["pod-security.kubernetes.io/enforce-policy"]);
    }

    private PodSecurityAdmission Plugin(PodSecurityConfiguration configuration) => new(server.Server.Store, ResourceCatalog.Default, configuration, TimeProvider.System);

    private static AdmissionRequest Request(string ns, V1Pod pod)
    {
        pod.Metadata.NamespaceProperty = ns;
        return new AdmissionRequest(AdmissionOperation.Create, PodsResource, ns, pod.Metadata.Name, pod, null, null);
    }
}
