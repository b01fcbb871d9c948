using System.Net;
using k8s;
using k8s.Autorest;
using k8s.Models;
using Navarch.Testing;

namespace Navarch.E2E.Tests.Operator;

/// <summary>
/// Issue 18's operator test: a C# operator on KubernetesClient installs its CRD, watches its Pools, creates owned
/// Deployments and updates status, against `navarch server`; checked with the real kubectl.
/// </summary>
[Trait("Category", "Integration")]
public sealed class CustomResourceOperatorTests(NavarchServer server) : IClassFixture<NavarchServer>
{
    private const string Ns = "default";

    [Fact]
    public async Task An_operator_serves_its_pools_and_kubectl_gets_explains_scales_and_deletes_them()
    {
        using var client = new Kubernetes(KubernetesClientConfiguration.BuildConfigFromConfigFile(server.Kubeconfig));
        await using var op = new PoolOperator(client);
        await op.StartAsync(Ns, CancellationToken.None);

        Kubectl.Result applied = await Kubectl.RunAsync(server.Kubeconfig, ["apply", "-f", "-"], """
            apiVersion: ops.example.com/v1
            kind: Pool
            metadata:
              name: web
            spec:
              replicas: 2
            """);
        Assert.True(applied.ExitCode == 0, applied.Output);
        Assert.Contains("pool.ops.example.com/web created", applied.Stdout);

        // The CRD's schema: spec.image defaulted; the CEL rule refuses 11 replicas with its message; an unknown field is
        // refused by kubectl's strict validation, pruned with a warning under --validate=warn.
        Assert.Equal("busybox:1.35", (await Kubectl.RunAsync(server.Kubeconfig, "get", "pool", "web", "-o", "jsonpath={.spec.image}")).Stdout);
        Kubectl.Result tooMany = await Kubectl.RunAsync(server.Kubeconfig, ["apply", "-f", "-"], Pool("replicas: 11"));
        Assert.True(tooMany.ExitCode != 0, tooMany.Output);
        Assert.Contains("a pool has at most 10 replicas", tooMany.Output, StringComparison.Ordinal);
        Kubectl.Result strict = await Kubectl.RunAsync(server.Kubeconfig, ["apply", "-f", "-"], Pool("replicas: 2\n  bogus: 1"));
        Assert.True(strict.ExitCode != 0, strict.Output);
        Assert.Contains("unknown field \"spec.bogus\"", strict.Output, StringComparison.Ordinal);
        Kubectl.Result warned = await Kubectl.RunAsync(server.Kubeconfig, ["apply", "--validate=warn", "-f", "-"], Pool("replicas: 2\n  bogus: 1"));
        Assert.True(warned.ExitCode == 0, warned.Output);
        Assert.Contains("unknown field \"spec.bogus\"", warned.Stderr, StringComparison.Ordinal);
        Assert.Equal("", (await Kubectl.RunAsync(server.Kubeconfig, "get", "pool", "web", "-o", "jsonpath={.spec.bogus}")).Stdout);

        V1Deployment deployment = await Polling.Eventually(
            () => TryReadDeploymentAsync(client),
            d => d?.Spec.Replicas == 2,
            "the operator's Deployment",
            TimeSpan.FromSeconds(30)) ?? throw new InvalidOperationException();
        V1OwnerReference owner = Assert.Single(deployment.Metadata.OwnerReferences);
        Assert.Equal(("ops.example.com/v1", "Pool", "web", true), (owner.ApiVersion, owner.Kind, owner.Name, owner.Controller ?? false));

        // kubectl get: the printer columns, once the operator's status is in.
        string table = await Polling.Eventually(
            async () => (await Kubectl.RunAsync(server.Kubeconfig, "get", "pools")).Stdout,
            o => o.Split('\n').Any(l => l.StartsWith("web ", StringComparison.Ordinal) && l.Split(' ', StringSplitOptions.RemoveEmptyEntries) is [_, "2", "2", ..]),
            "kubectl get pools shows the status",
            TimeSpan.FromSeconds(30));
        Assert.Matches(@"^NAME\s+REPLICAS\s+CURRENT\s+IMAGE\s+AGE", table);

        Kubectl.Result shortName = await Kubectl.RunAsync(server.Kubeconfig, "get", "pl", "web", "-o", "jsonpath={.status.selector}");
        Assert.True(shortName.ExitCode == 0, shortName.Output);
        Assert.Equal("pool=web", shortName.Stdout);
        Kubectl.Result all = await Kubectl.RunAsync(server.Kubeconfig, "get", "all");
        Assert.True(all.ExitCode == 0, all.Output);
        Assert.Contains("pool.ops.example.com/web", all.Stdout);
        Assert.Contains("deployment.apps/pool-web", all.Stdout);

        Kubectl.Result explain = await Kubectl.RunAsync(server.Kubeconfig, "explain", "pool.spec");
        Assert.True(explain.ExitCode == 0, explain.Output);
        Assert.Contains("KIND:       Pool", explain.Stdout);
        Assert.Contains("How many copies of the image run.", explain.Stdout);
        Assert.Contains("replicas", explain.Stdout);

        // kubectl scale goes through the scale subresource; the operator follows.
        Kubectl.Result scaled = await Kubectl.RunAsync(server.Kubeconfig, "scale", "pool/web", "--replicas=3");
        Assert.True(scaled.ExitCode == 0, scaled.Output);
        Assert.Contains("pool.ops.example.com/web scaled", scaled.Stdout);
        await Polling.Eventually(() => TryReadDeploymentAsync(client), d => d?.Spec.Replicas == 3, "the Deployment scaled", TimeSpan.FromSeconds(30));
        Kubectl.Result waited = await Kubectl.RunAsync(server.Kubeconfig, "wait", "pool/web", "--for=jsonpath={.status.replicas}=3", "--timeout=30s");
        Assert.True(waited.ExitCode == 0, waited.Output);
        Assert.Equal("2", (await Kubectl.RunAsync(server.Kubeconfig, "get", "pool", "web", "-o", "jsonpath={.metadata.generation}")).Stdout);

        Kubectl.Result labelled = await Kubectl.RunAsync(server.Kubeconfig, "label", "pool", "web", "team=ops");
        Assert.True(labelled.ExitCode == 0, labelled.Output);
        Assert.Contains("web", (await Kubectl.RunAsync(server.Kubeconfig, "get", "pools", "-l", "team=ops", "-o", "name")).Stdout);
        Kubectl.Result patched = await Kubectl.RunAsync(server.Kubeconfig, "patch", "pool", "web", "--type=merge", "-p", """{"spec":{"image":"busybox:1.36"}}""");
        Assert.True(patched.ExitCode == 0, patched.Output);

        // Deleting the Pool cascades to its Deployment through the garbage collector.
        Kubectl.Result deleted = await Kubectl.RunAsync(server.Kubeconfig, "delete", "pool", "web");
        Assert.True(deleted.ExitCode == 0, deleted.Output);
        Assert.Contains("pool.ops.example.com \"web\" deleted", deleted.Stdout);
        await Polling.Eventually(async () => await TryReadDeploymentAsync(client) is null, "the owned Deployment is collected", TimeSpan.FromSeconds(30), TimeSpan.FromMilliseconds(200));
    }

    private static async Task<V1Deployment?> TryReadDeploymentAsync(Kubernetes client)
    {
        try
        {
            return await client.AppsV1.ReadNamespacedDeploymentAsync("pool-web", Ns);
        }
        catch (HttpOperationException e) when (e.Response.StatusCode == HttpStatusCode.NotFound)
        {
            return null;
        }
    }

    private static string Pool(string spec) => $"""
        apiVersion: ops.example.com/v1
        kind: Pool
        metadata:
          name: web
        spec:
          {spec}
        """;
}
