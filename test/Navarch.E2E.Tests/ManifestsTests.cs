using System.Diagnostics;

namespace Navarch.E2E.Tests;

/// <summary>Manifests in <c>&lt;data-dir&gt;/server/manifests</c>: applied at start and again when they change.</summary>
[Trait("Category", "Integration")]
public sealed class ManifestsTests
{
    [Fact]
    public async Task Manifests_are_applied_at_start_and_on_change_and_invalid_documents_are_skipped()
    {
        await using var server = new NavarchServer();
        string manifests = Path.Combine(server.DataDir, "server", "manifests");
        Directory.CreateDirectory(manifests);
        await File.WriteAllTextAsync(Path.Combine(manifests, "base.yaml"), """
            apiVersion: v1
            kind: Namespace
            metadata:
              name: addons
            ---
            this: [is not valid yaml
            ---
            apiVersion: v1
            kind: ConfigMap
            metadata:
              name: settings
              namespace: addons
            data:
              color: blue
            """);
        await server.InitializeAsync();

        await WaitForAsync("configmap settings from the start", async () =>
            (await server.KubectlAsync("get", "configmap", "settings", "-n", "addons", "-o", "jsonpath={.data.color}")).Stdout == "blue");

        // A change is applied as an update of the live object; a new file is applied too.
        string uid = (await server.KubectlAsync("get", "configmap", "settings", "-n", "addons", "-o", "jsonpath={.metadata.uid}")).Stdout;
        await File.WriteAllTextAsync(Path.Combine(manifests, "base.yaml"), """
            apiVersion: v1
            kind: ConfigMap
            metadata:
              name: settings
              namespace: addons
            data:
              color: green
            """);
        await File.WriteAllTextAsync(Path.Combine(manifests, "more.yml"), """
            apiVersion: v1
            kind: ServiceAccount
            metadata:
              name: addon-runner
              namespace: addons
            """);
        await WaitForAsync("the changed configmap", async () =>
            (await server.KubectlAsync("get", "configmap", "settings", "-n", "addons", "-o", "jsonpath={.data.color}")).Stdout == "green");
        Assert.Equal(uid, (await server.KubectlAsync("get", "configmap", "settings", "-n", "addons", "-o", "jsonpath={.metadata.uid}")).Stdout);
        await WaitForAsync("the new file's service account", async () =>
            (await server.KubectlAsync("get", "serviceaccount", "addon-runner", "-n", "addons")).ExitCode == 0);

        // Apply-only: the namespace from the old version of the file stays.
        Assert.Equal(0, (await server.KubectlAsync("get", "namespace", "addons")).ExitCode);
    }

    private static Task WaitForAsync(string what, Func<Task<bool>> condition) =>
        Eventually(condition, what, TimeSpan.FromSeconds(30), TimeSpan.FromMilliseconds(250));
}
