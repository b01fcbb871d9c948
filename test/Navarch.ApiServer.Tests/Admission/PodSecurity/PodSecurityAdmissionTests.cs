using System.Net;
using System.Text.Json;
using k8s;
using k8s.Autorest;
using k8s.Models;
using Navarch.ApiServer.Admission.PodSecurity;
using Navarch.Testing;
using static Navarch.ApiServer.Tests.Admission.PodSecurity.Pods;

namespace Navarch.ApiServer.Tests.Admission.PodSecurity;

/// <summary>
/// Pod Security Admission through the real API server and the official client: enforce refuses with Kubernetes'
/// 403, warn answers with Warning headers, workloads get warnings only, bad labels are 422, tightening a namespace
/// warns about its pods, and the configured exemptions and defaults apply.
/// </summary>
[Trait("Category", "Integration")]
public sealed class PodSecurityAdmissionTests : IClassFixture<ServerFixture>, IDisposable
{
    private readonly ServerFixture _server;

    private readonly string _dir = Directory.CreateTempSubdirectory("navarch-psa-").FullName;

    public PodSecurityAdmissionTests(ServerFixture server) => _server = server;

    private Kubernetes Client => _server.Client;

    [Fact]
    public async Task Enforce_refuses_a_violating_pod_with_Kubernetes_403_and_admits_a_compliant_one()
    {
        await NamespaceAsync(Client, "psa-enforce", ("enforce", "baseline"));
        V1Pod hostNetwork = Containers(C("main"));
        hostNetwork.Metadata.Name = "x";
        hostNetwork.Spec.HostNetwork = true;

        HttpOperationException e = await Assert.ThrowsAsync<HttpOperationException>(() => Client.CoreV1.CreateNamespacedPodAsync(hostNetwork, "psa-enforce"));
        Assert.Equal(HttpStatusCode.Forbidden, e.Response.StatusCode);
        V1Status status = JsonSerializer.Deserialize<V1Status>(e.Response.Content)!;
        Assert.Equal("pods \"x\" is forbidden: violates PodSecurity \"baseline:latest\": host namespaces (hostNetwork=true)", status.Message);
        Assert.Equal("Forbidden", status.Reason);
        Assert.Equal("x", status.Details.Name);
        Assert.Equal("pods", status.Details.Kind);

        // The same pod with dryRun is refused too; a baseline-compliant pod is admitted without warnings.
        await Assert.ThrowsAsync<HttpOperationException>(() => Client.CoreV1.CreateNamespacedPodAsync(hostNetwork, "psa-enforce", dryRun: "All"));
        using HttpOperationResponse<V1Pod> created = await Client.CoreV1.CreateNamespacedPodWithHttpMessagesAsync(Containers(C("main")), "psa-enforce");
        Assert.False(created.Response.Headers.Contains("Warning"));
    }

    [Fact]
    public async Task Enforce_version_pins_the_checks_of_that_release()
    {
        await NamespaceAsync(Client, "psa-pinned", ("enforce", "restricted"), ("enforce-version", "v1.22"));
        V1Pod root = Restricted("root");
        root.Spec.SecurityContext.RunAsUser = 0;

        // runAsUser=0 is refused by restricted only from v1.23.
        await Client.CoreV1.CreateNamespacedPodAsync(root, "psa-pinned");
        V1Namespace ns = await Client.CoreV1.ReadNamespaceAsync("psa-pinned");
        ns.Metadata.Labels["pod-security.kubernetes.io/enforce-version"] = "latest";
        await Client.CoreV1.ReplaceNamespaceAsync(ns, "psa-pinned");
        root.Metadata.Name = "root2";
        HttpOperationException e = await Assert.ThrowsAsync<HttpOperationException>(() => Client.CoreV1.CreateNamespacedPodAsync(root, "psa-pinned"));
        Assert.Equal("pods \"root2\" is forbidden: violates PodSecurity \"restricted:latest\": runAsUser=0 (pod must not set runAsUser=0)", Message(e));
    }

    [Fact]
    public async Task Warn_admits_with_a_Warning_header()
    {
        await NamespaceAsync(Client, "psa-warn", ("warn", "restricted"));
        using HttpOperationResponse<V1Pod> created = await Client.CoreV1.CreateNamespacedPodWithHttpMessagesAsync(Containers(C("main")), "psa-warn");
        Assert.Equal(HttpStatusCode.Created, created.Response.StatusCode);
        Assert.Equal(
            "299 - \"would violate PodSecurity \\\"restricted:latest\\\": allowPrivilegeEscalation != false (container \\\"main\\\" must set securityContext.allowPrivilegeEscalation=false), "
            + "unrestricted capabilities (container \\\"main\\\" must set securityContext.capabilities.drop=[\\\"ALL\\\"]), "
            + "runAsNonRoot != true (pod or container \\\"main\\\" must set securityContext.runAsNonRoot=true), "
            + "seccompProfile (pod or container \\\"main\\\" must set securityContext.seccompProfile.type to \\\"RuntimeDefault\\\" or \\\"Localhost\\\")\"",
            Assert.Single(created.Response.Headers.GetValues("Warning")));
        using HttpOperationResponse<V1Pod> compliant = await Client.CoreV1.CreateNamespacedPodWithHttpMessagesAsync(Restricted(), "psa-warn");
        Assert.False(compliant.Response.Headers.Contains("Warning"));
    }

    [Fact]
    public async Task Workloads_get_warnings_for_their_template_but_are_never_refused()
    {
        await NamespaceAsync(Client, "psa-workloads", ("enforce", "restricted"), ("warn", "baseline"));
        V1PodSpec template = Containers(C("web")).Spec;
        template.HostPID = true;
        var deployment = new V1Deployment
        {
            Metadata = new V1ObjectMeta { Name = "web" },
            Spec = new V1DeploymentSpec
            {
                Selector = new V1LabelSelector { MatchLabels = new Dictionary<string, string> { ["app"] = "web" } },
                Template = new V1PodTemplateSpec { Metadata = new V1ObjectMeta { Labels = new Dictionary<string, string> { ["app"] = "web" } }, Spec = template },
            },
        };
        using HttpOperationResponse<V1Deployment> created = await Client.AppsV1.CreateNamespacedDeploymentWithHttpMessagesAsync(deployment, "psa-workloads");
        Assert.Equal(HttpStatusCode.Created, created.Response.StatusCode);
        Assert.Equal("299 - \"would violate PodSecurity \\\"baseline:latest\\\": host namespaces (hostPID=true)\"", Assert.Single(created.Response.Headers.GetValues("Warning")));

        var job = new V1Job
        {
            Metadata = new V1ObjectMeta { Name = "once" },
            Spec = new V1JobSpec { Template = new V1PodTemplateSpec { Spec = new V1PodSpec { RestartPolicy = "Never", HostNetwork = true, Containers = [C("c")] } } },
        };
        using HttpOperationResponse<V1Job> jobCreated = await Client.BatchV1.CreateNamespacedJobWithHttpMessagesAsync(job, "psa-workloads");
        Assert.Contains("host namespaces (hostNetwork=true)", Assert.Single(jobCreated.Response.Headers.GetValues("Warning")), StringComparison.Ordinal);

        // A write through the scale subresource is not judged again.
        using HttpOperationResponse<V1Scale> scaled = await Client.AppsV1.PatchNamespacedDeploymentScaleWithHttpMessagesAsync(
            new V1Patch("{\"spec\":{\"replicas\":3}}", V1Patch.PatchType.MergePatch), "web", "psa-workloads");
        Assert.Equal(3, scaled.Body.Spec.Replicas);
        Assert.False(scaled.Response.Headers.Contains("Warning"));
    }

    [Fact]
    public async Task Invalid_labels_are_refused_with_422_on_create_and_update()
    {
        HttpOperationException e = await Assert.ThrowsAsync<HttpOperationException>(() => NamespaceAsync(Client, "psa-bad", ("enforce", "strict")));
        Assert.Equal((HttpStatusCode)422, e.Response.StatusCode);
        V1Status status = JsonSerializer.Deserialize<V1Status>(e.Response.Content)!;
        Assert.Equal("Namespace \"psa-bad\" is invalid: metadata.labels[pod-security.kubernetes.io/enforce]: Invalid value: \"strict\": must be one of privileged, baseline, restricted", status.Message);
        Assert.Equal("metadata.labels[pod-security.kubernetes.io/enforce]", Assert.Single(status.Details.Causes).Field);

        await NamespaceAsync(Client, "psa-bad2");
        e = await Assert.ThrowsAsync<HttpOperationException>(() => Client.CoreV1.PatchNamespaceAsync(
            new V1Patch("{\"metadata\":{\"labels\":{\"pod-security.kubernetes.io/warn-version\":\"1.30\"}}}", V1Patch.PatchType.MergePatch), "psa-bad2"));
        Assert.Equal((HttpStatusCode)422, e.Response.StatusCode);
        Assert.Equal("Namespace \"psa-bad2\" is invalid: metadata.labels[pod-security.kubernetes.io/warn-version]: Invalid value: \"1.30\": must be \"latest\" or \"v1.x\"", Message(e));
    }

    [Fact]
    public async Task Tightening_the_enforce_level_warns_about_existing_pods()
    {
        await NamespaceAsync(Client, "psa-tighten");
        foreach (string name in new[] { "b", "a" })
        {
            V1Pod pod = Containers(C("main"));
            pod.Metadata.Name = name;
            pod.Spec.HostNetwork = true;
            await Client.CoreV1.CreateNamespacedPodAsync(pod, "psa-tighten");
        }

        V1Pod privileged = Containers(C("main", new V1SecurityContext { Privileged = true }));
        privileged.Metadata.Name = "c";
        await Client.CoreV1.CreateNamespacedPodAsync(privileged, "psa-tighten");
        await Client.CoreV1.CreateNamespacedPodAsync(Restricted("d"), "psa-tighten");

        using HttpOperationResponse<V1Namespace> labelled = await Client.CoreV1.PatchNamespaceWithHttpMessagesAsync(
            new V1Patch("{\"metadata\":{\"labels\":{\"pod-security.kubernetes.io/enforce\":\"baseline\"}}}", V1Patch.PatchType.MergePatch), "psa-tighten");
        Assert.Equal(
        [
            "299 - \"existing pods in namespace \\\"psa-tighten\\\" violate the new PodSecurity enforce level \\\"baseline:latest\\\"\"",
            "299 - \"a (and 1 other pod): host namespaces\"",
            "299 - \"c: privileged\"",
        ], labelled.Response.Headers.GetValues("Warning"));

        // Relaxing the level, or setting the same one again, warns about nothing.
        using HttpOperationResponse<V1Namespace> relaxed = await Client.CoreV1.PatchNamespaceWithHttpMessagesAsync(
            new V1Patch("{\"metadata\":{\"labels\":{\"pod-security.kubernetes.io/enforce\":\"privileged\"}}}", V1Patch.PatchType.MergePatch), "psa-tighten");
        Assert.False(relaxed.Response.Headers.Contains("Warning"));

        // Existing pods stay: an insignificant update of a violating pod (a label) is admitted under the new level.
        await Client.CoreV1.PatchNamespaceAsync(new V1Patch("{\"metadata\":{\"labels\":{\"pod-security.kubernetes.io/enforce\":\"baseline\"}}}", V1Patch.PatchType.MergePatch), "psa-tighten");
        await Client.CoreV1.PatchNamespacedPodAsync(new V1Patch("{\"metadata\":{\"labels\":{\"touched\":\"yes\"}}}", V1Patch.PatchType.MergePatch), "a", "psa-tighten");
    }

    [Fact]
    public async Task Exemptions_and_defaults_come_from_the_admission_configuration_file()
    {
        string tokens = Path.Combine(_dir, "tokens.csv");
        await File.WriteAllTextAsync(tokens, "trusted-token,trusted,1,\nplain-token,plain,2,\n");
        string pluginFile = Path.Combine(_dir, "podsecurity.yaml");
        await File.WriteAllTextAsync(pluginFile, """
            apiVersion: pod-security.admission.config.k8s.io/v1
            kind: PodSecurityConfiguration
            defaults:
              enforce: baseline
              warn: restricted
            exemptions:
              usernames: [trusted]
              runtimeClasses: [kata]
              namespaces: [exempt]
            """);
        string config = Path.Combine(_dir, "admission.yaml");
        await File.WriteAllTextAsync(config, """
            apiVersion: apiserver.config.k8s.io/v1
            kind: AdmissionConfiguration
            plugins:
            - name: PodSecurity
              path: podsecurity.yaml
            """);
        await using ApiServerHost host = await ApiServerHost.StartAsync(tokenAuthFile: tokens, admissionControlConfigFile: config);
        await NamespaceAsync(host.Client, "plain");
        await NamespaceAsync(host.Client, "exempt");

        V1Pod HostPid(string name, string? runtimeClass = null)
        {
            V1Pod pod = Containers(C("main"));
            pod.Metadata.Name = name;
            pod.Spec.HostPID = true;
            pod.Spec.RuntimeClassName = runtimeClass;
            return pod;
        }

        // Without labels the configured defaults apply: enforce baseline, warn restricted.
        HttpOperationException e = await Assert.ThrowsAsync<HttpOperationException>(() => host.Client.CoreV1.CreateNamespacedPodAsync(HostPid("p1"), "plain"));
        Assert.Equal("pods \"p1\" is forbidden: violates PodSecurity \"baseline:latest\": host namespaces (hostPID=true)", Message(e));
        using HttpOperationResponse<V1Pod> warned = await host.Client.CoreV1.CreateNamespacedPodWithHttpMessagesAsync(Containers(C("main")), "plain");
        Assert.StartsWith("299 - \"would violate PodSecurity \\\"restricted:latest\\\"", Assert.Single(warned.Response.Headers.GetValues("Warning")), StringComparison.Ordinal);

        // An exempt namespace, runtime class or user is not judged at all.
        using HttpOperationResponse<V1Pod> inExempt = await host.Client.CoreV1.CreateNamespacedPodWithHttpMessagesAsync(HostPid("p2"), "exempt");
        Assert.False(inExempt.Response.Headers.Contains("Warning"));
        // RuntimeClass admission wants the class to exist.
        await host.Client.NodeV1.CreateRuntimeClassAsync(new V1RuntimeClass { Metadata = new V1ObjectMeta { Name = "kata" }, Handler = "kata" });
        await host.Client.CoreV1.CreateNamespacedPodAsync(HostPid("p3", "kata"), "plain");
        using Kubernetes trusted = TokenClient(host, "trusted-token");
        await trusted.CoreV1.CreateNamespacedPodAsync(HostPid("p4"), "plain");
        using Kubernetes plain = TokenClient(host, "plain-token");
        e = await Assert.ThrowsAsync<HttpOperationException>(() => plain.CoreV1.CreateNamespacedPodAsync(HostPid("p5"), "plain"));
        Assert.Equal(HttpStatusCode.Forbidden, e.Response.StatusCode);
    }

    [Fact]
    public async Task An_invalid_configuration_is_refused_with_the_field_errors()
    {
        string config = Path.Combine(_dir, "bad.yaml");
        await File.WriteAllTextAsync(config, """
            apiVersion: apiserver.config.k8s.io/v1
            kind: AdmissionConfiguration
            plugins:
            - name: PodSecurity
              configuration:
                apiVersion: pod-security.admission.config.k8s.io/v1
                kind: PodSecurityConfiguration
                defaults:
                  enforce: strict
                exemptions:
                  usernames: [a, a]
            """);
        InvalidDataException e = Assert.Throws<InvalidDataException>(() => PodSecurityConfiguration.Load(config));
        Assert.Equal(
            "invalid PodSecurity configuration: defaults.enforce: Invalid value: \"strict\": must be one of privileged, baseline, restricted, exemptions.usernames[1]: Duplicate value: \"a\"",
            e.Message);
    }

    public void Dispose() => Directory.Delete(_dir, recursive: true);

    private static string Message(HttpOperationException e) => JsonSerializer.Deserialize<V1Status>(e.Response.Content)!.Message;

    private static async Task NamespaceAsync(Kubernetes client, string name, params (string Mode, string Value)[] labels) =>
        await client.CoreV1.CreateNamespaceAsync(new V1Namespace
        {
            Metadata = new V1ObjectMeta { Name = name, Labels = labels.ToDictionary(l => "pod-security.kubernetes.io/" + l.Mode, l => l.Value) },
        });

    private static Kubernetes TokenClient(ApiServerHost host, string token)
    {
        KubernetesClientConfiguration admin = KubernetesClientConfiguration.BuildConfigFromConfigFile(host.Server.AdminKubeconfigPath);
        return new Kubernetes(new KubernetesClientConfiguration { Host = admin.Host, SslCaCerts = admin.SslCaCerts, AccessToken = token });
    }
}
