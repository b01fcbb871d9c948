using System.Diagnostics;
using System.Security.Cryptography.X509Certificates;
using System.Text;
using System.Text.Json;
using k8s;
using k8s.Models;
using Navarch.Testing;

namespace Navarch.ApiServer.Tests.Aggregator;

/// <summary>
/// API aggregation against a real API server: local APIServices for the built-in APIs, and an extension server
/// (started here, HTTPS with its own CA) behind a pod-less Service with manual Endpoints on loopback, reached through
/// the aggregator with the caller's identity, listed in discovery, watched over by the availability controller, and
/// read with the real kubectl.
/// </summary>
[Trait("Category", "Integration")]
public sealed class ApiAggregationTests : IAsyncLifetime
{
    private const string ApiServiceName = ExtensionApiServer.Version + "." + ExtensionApiServer.Group;
    private ApiServerHost _host = null!;

    private Kubernetes Client => _host.Client;

    public async Task InitializeAsync() => _host = await ApiServerHost.StartAsync();

    public async Task DisposeAsync() => await _host.DisposeAsync();

    private static V1APIService ApiService(string name, string version, byte[]? caBundle, bool insecure = false) => new()
    {
        Metadata = new V1ObjectMeta { Name = name },
        Spec = new V1APIServiceSpec
        {
            Group = ExtensionApiServer.Group,
            Version = version,
            Service = new Apiregistrationv1ServiceReference { NamespaceProperty = "default", Name = "wardle", Port = 443 },
            CaBundle = caBundle,
            InsecureSkipTLSVerify = insecure,
            GroupPriorityMinimum = 1000,
            VersionPriority = 15,
        },
    };

    private async Task<V1APIServiceCondition> AvailableAsync(string name, Func<V1APIServiceCondition, bool> done, string what) =>
        (await Eventually(
            async () => (await Client.ApiregistrationV1.ReadAPIServiceAsync(name)).Status?.Conditions?.FirstOrDefault(c => c.Type == "Available"),
            c => c is not null && done(c),
            what,
            TimeSpan.FromSeconds(30),
            detail: async () => JsonSerializer.Serialize((await Client.ApiregistrationV1.ReadAPIServiceAsync(name)).Status)))!;

    private async Task<(int Code, string Output)> KubectlAsync(params string[] args)
    {
        var start = new ProcessStartInfo("kubectl") { RedirectStandardOutput = true, RedirectStandardError = true, UseShellExecute = false };
        start.Environment["KUBECONFIG"] = _host.Server.AdminKubeconfigPath;
        foreach (string arg in args)
        {
            start.ArgumentList.Add(arg);
        }

        using Process process = Process.Start(start)!;
        Task<string> stdout = process.StandardOutput.ReadToEndAsync(), stderr = process.StandardError.ReadToEndAsync();
        await process.WaitForExitAsync().WaitAsync(TimeSpan.FromSeconds(60));
        return (process.ExitCode, await stdout + await stderr);
    }

    [Fact]
    public async Task Built_in_APIs_are_local_APIServices_and_the_front_proxy_is_published()
    {
        V1APIService apps = await Client.ApiregistrationV1.ReadAPIServiceAsync("v1.apps");
        Assert.Null(apps.Spec.Service);
        Assert.Equal(("apps", "v1"), (apps.Spec.Group, apps.Spec.Version));
        V1APIServiceCondition local = await AvailableAsync("v1.", c => c.Status == "True", "the core API is available");
        Assert.Equal(("Local", "Local APIServices are always available"), (local.Reason, local.Message));

        V1ConfigMap auth = await Client.CoreV1.ReadNamespacedConfigMapAsync("extension-apiserver-authentication", "kube-system");
        Assert.Equal("[\"front-proxy-client\"]", auth.Data["requestheader-allowed-names"]);
        Assert.Equal("[\"X-Remote-User\"]", auth.Data["requestheader-username-headers"]);
        Assert.Equal("[\"X-Remote-Group\"]", auth.Data["requestheader-group-headers"]);
        Assert.Equal("[\"X-Remote-Extra-\"]", auth.Data["requestheader-extra-headers-prefix"]);
        Assert.Equal(_host.Server.FrontProxy.Ca.Thumbprint, X509Certificate2.CreateFromPem(auth.Data["requestheader-client-ca-file"]).Thumbprint);
        Assert.Equal(_host.Server.Pki.Ca.Thumbprint, X509Certificate2.CreateFromPem(auth.Data["client-ca-file"]).Thumbprint);

        // The name must be version.group.
        var wrong = ApiService("v1.other.example.com", "v1", null);
        k8s.Autorest.HttpOperationException refused = await Assert.ThrowsAsync<k8s.Autorest.HttpOperationException>(() => Client.ApiregistrationV1.CreateAPIServiceAsync(wrong));
        Assert.Equal(System.Net.HttpStatusCode.UnprocessableEntity, refused.Response.StatusCode);
        Assert.Contains("must be v1.wardle.example.com", refused.Response.Content, StringComparison.Ordinal);
    }

    [Fact]
    public async Task An_APIService_is_proxied_to_its_Service_with_the_callers_identity_and_reported_available()
    {
        V1ConfigMap auth = await Client.CoreV1.ReadNamespacedConfigMapAsync("extension-apiserver-authentication", "kube-system");
        await using ExtensionApiServer extension = await ExtensionApiServer.StartAsync(
            "wardle.default.svc", X509Certificate2.CreateFromPem(auth.Data["requestheader-client-ca-file"]), JsonSerializer.Deserialize<string[]>(auth.Data["requestheader-allowed-names"])!);
        byte[] caBundle = Encoding.ASCII.GetBytes(extension.Ca.ExportCertificatePem());

        // Each missing piece is reported as kube-aggregator reports it.
        await Client.ApiregistrationV1.CreateAPIServiceAsync(ApiService(ApiServiceName, ExtensionApiServer.Version, caBundle));
        V1APIServiceCondition missing = await AvailableAsync(ApiServiceName, c => c.Reason == "ServiceNotFound", "no Service yet");
        Assert.Equal(("False", "service/wardle in \"default\" is not present"), (missing.Status, missing.Message));
        await Client.CoreV1.CreateNamespacedServiceAsync(
            new V1Service { Metadata = new V1ObjectMeta { Name = "wardle" }, Spec = new V1ServiceSpec { Ports = [new V1ServicePort { Port = 443, TargetPort = extension.Port }] } }, "default");
        await AvailableAsync(ApiServiceName, c => c.Reason is "EndpointsNotFound" or "MissingEndpoints", "no Endpoints yet");
        await Client.CoreV1.CreateNamespacedEndpointsAsync(
            new V1Endpoints
            {
                Metadata = new V1ObjectMeta { Name = "wardle" },
                Subsets = [new V1EndpointSubset { Addresses = [new V1EndpointAddress { Ip = ExtensionApiServer.Address.ToString() }], Ports = [new Corev1EndpointPort { Port = extension.Port }] }],
            },
            "default");
        V1APIServiceCondition passed = await AvailableAsync(ApiServiceName, c => c.Status == "True", "the extension server passes the discovery check");
        Assert.Equal(("Passed", "all checks passed"), (passed.Reason, passed.Message));

        // Discovery lists the group; its resources come from the extension server.
        string groups = await (await _host.NewHttp(withClientCertificate: true).GetAsync(new Uri(Client.BaseUri, "/apis"))).Content.ReadAsStringAsync();
        Assert.Contains($"\"name\":\"{ExtensionApiServer.Group}\"", groups, StringComparison.Ordinal);
        string group = await (await _host.NewHttp(withClientCertificate: true).GetAsync(new Uri(Client.BaseUri, $"/apis/{ExtensionApiServer.Group}"))).Content.ReadAsStringAsync();
        Assert.Contains($"\"groupVersion\":\"{ExtensionApiServer.Group}/{ExtensionApiServer.Version}\"", group, StringComparison.Ordinal);

        // Aggregated discovery has its resources too: the extension server serves only legacy discovery, converted.
        await Eventually(
            async () =>
            {
                using var request = new HttpRequestMessage(HttpMethod.Get, new Uri(Client.BaseUri, "/apis"));
                request.Headers.TryAddWithoutValidation("Accept", "application/json;g=apidiscovery.k8s.io;v=v2;as=APIGroupDiscoveryList");
                using HttpResponseMessage response = await _host.NewHttp(withClientCertificate: true).SendAsync(request);
                return System.Text.Json.Nodes.JsonNode.Parse(await response.Content.ReadAsStringAsync())!["items"]!.AsArray()
                    .FirstOrDefault(g => (string?)g!["metadata"]!["name"] == ExtensionApiServer.Group)?["versions"]?[0]?.ToJsonString() ?? "";
            },
            v => v.Contains("\"resource\":\"flunders\"", StringComparison.Ordinal) && v.Contains("\"freshness\":\"Current\"", StringComparison.Ordinal),
            "aggregated discovery lists the extension server's resources",
            TimeSpan.FromSeconds(30));

        // OpenAPI v3 lists the group/version, whose document is the extension server's.
        string openApiIndex = await (await _host.NewHttp(withClientCertificate: true).GetAsync(new Uri(Client.BaseUri, "/openapi/v3"))).Content.ReadAsStringAsync();
        Assert.Contains($"\"apis/{ExtensionApiServer.Group}/{ExtensionApiServer.Version}\"", openApiIndex, StringComparison.Ordinal);
        string openApi = await (await _host.NewHttp(withClientCertificate: true).GetAsync(new Uri(Client.BaseUri, $"/openapi/v3/apis/{ExtensionApiServer.Group}/{ExtensionApiServer.Version}"))).Content.ReadAsStringAsync();
        Assert.Contains("com.example.wardle.v1alpha1.Flunder", openApi, StringComparison.Ordinal);

        // The real kubectl finds the resource through discovery and lists it through the aggregator, as the admin.
        (int code, string output) = await KubectlAsync("get", "flunders", "-n", "default");
        Assert.True(code == 0, output);
        Assert.Contains("seen-by-system-admin", output, StringComparison.Ordinal);
        Microsoft.AspNetCore.Http.IHeaderDictionary seen = extension.Requests.Last(h => h.ContainsKey("X-Remote-User") && h["X-Remote-User"] == "system:admin");
        Assert.Equal<string>(["system:masters", "system:authenticated"], seen["X-Remote-Group"].Select(g => g ?? "").ToArray());
        Assert.False(seen.ContainsKey("Authorization"));

        // Impersonation is the identity passed on, and a client's own X-Remote-* headers are never.
        using HttpClient http = _host.NewHttp(withClientCertificate: true);
        using var request = new HttpRequestMessage(HttpMethod.Get, new Uri(Client.BaseUri, $"/apis/{ExtensionApiServer.Group}/{ExtensionApiServer.Version}/namespaces/default/flunders"));
        request.Headers.Add("Impersonate-User", "jane");
        request.Headers.Add("Impersonate-Extra-scopes", "view");
        request.Headers.Add("X-Remote-User", "mallory");
        using HttpResponseMessage response = await http.SendAsync(request);
        Assert.Contains("seen-by-jane", await response.Content.ReadAsStringAsync(), StringComparison.Ordinal);
        // The availability controller's discovery checks (as system:kube-aggregator) arrive in between: skip them.
        seen = extension.Requests.Last(h => h.ContainsKey("X-Remote-User") && h["X-Remote-User"] != "system:kube-aggregator");
        Assert.Equal("jane", seen["X-Remote-User"].ToString());
        Assert.Equal("view", seen["X-Remote-Extra-scopes"].ToString());
        Assert.False(seen.ContainsKey("Impersonate-User"));

        (code, output) = await KubectlAsync("get", "apiservices", ApiServiceName);
        Assert.True(code == 0, output);
        Assert.Matches($@"{ApiServiceName.Replace(".", "\\.", StringComparison.Ordinal)}\s+default/wardle\s+True\s+", output);
    }

    [Fact]
    public async Task The_extension_servers_OpenAPI_is_merged_into_v2_and_listed_in_v3_and_kubectl_explains_its_kind()
    {
        V1ConfigMap auth = await Client.CoreV1.ReadNamespacedConfigMapAsync("extension-apiserver-authentication", "kube-system");
        await using ExtensionApiServer extension = await ExtensionApiServer.StartAsync(
            "wardle.default.svc", X509Certificate2.CreateFromPem(auth.Data["requestheader-client-ca-file"]), ["front-proxy-client"]);
        await Client.CoreV1.CreateNamespacedServiceAsync(
            new V1Service { Metadata = new V1ObjectMeta { Name = "wardle" }, Spec = new V1ServiceSpec { Ports = [new V1ServicePort { Port = 443, TargetPort = extension.Port }] } }, "default");
        await Client.CoreV1.CreateNamespacedEndpointsAsync(
            new V1Endpoints
            {
                Metadata = new V1ObjectMeta { Name = "wardle" },
                Subsets = [new V1EndpointSubset { Addresses = [new V1EndpointAddress { Ip = ExtensionApiServer.Address.ToString() }], Ports = [new Corev1EndpointPort { Port = extension.Port }] }],
            },
            "default");

        // An APIService whose server cannot be reached holds up nothing.
        V1APIService broken = ApiService("v1.broken.example.com", "v1", null, insecure: true);
        broken.Spec.Group = "broken.example.com";
        broken.Spec.Service.Name = "missing";
        await Client.ApiregistrationV1.CreateAPIServiceAsync(broken);
        await Client.ApiregistrationV1.CreateAPIServiceAsync(ApiService(ApiServiceName, ExtensionApiServer.Version, Encoding.ASCII.GetBytes(extension.Ca.ExportCertificatePem())));
        await AvailableAsync(ApiServiceName, c => c.Status == "True", "the extension server is available");

        using HttpClient http = _host.NewHttp(withClientCertificate: true);
        async Task<JsonElement> GetJsonAsync(string path)
        {
            using HttpResponseMessage response = await http.GetAsync(new Uri(Client.BaseUri, path));
            Assert.Equal(System.Net.HttpStatusCode.OK, response.StatusCode);
            return JsonDocument.Parse(await response.Content.ReadAsStringAsync()).RootElement.Clone();
        }

        // v2: the extension server's definitions and paths beside the server's own.
        JsonElement v2 = await Eventually(
            () => GetJsonAsync("/openapi/v2"),
            doc => doc.GetProperty("definitions").TryGetProperty(ExtensionApiServer.FlunderSchema, out _),
            "the extension server's spec is merged into /openapi/v2",
            TimeSpan.FromSeconds(30));
        Assert.True(v2.GetProperty("definitions").TryGetProperty("io.k8s.api.core.v1.Pod", out _));
        Assert.True(v2.GetProperty("paths").TryGetProperty($"/apis/{ExtensionApiServer.Group}/{ExtensionApiServer.Version}/namespaces/{{namespace}}/flunders", out _));
        Assert.True(v2.GetProperty("paths").TryGetProperty("/api/v1/namespaces/{namespace}/pods", out _));
        // Downloaded as kube-aggregator downloads it.
        Microsoft.AspNetCore.Http.IHeaderDictionary download = extension.Requests.First(h => h.ContainsKey("X-Remote-User") && h["X-Remote-User"] == "system:aggregator");
        Assert.False(download.ContainsKey("X-Remote-Group"));

        // v3: the group/version as the extension server lists it; its document is the server's.
        JsonElement v3 = await GetJsonAsync("/openapi/v3");
        Assert.Equal($"/openapi/v3/apis/{ExtensionApiServer.Group}/{ExtensionApiServer.Version}?hash=F1", v3.GetProperty("paths").GetProperty($"apis/{ExtensionApiServer.Group}/{ExtensionApiServer.Version}").GetProperty("serverRelativeURL").GetString());
        Assert.True(v3.GetProperty("paths").TryGetProperty("api/v1", out _));
        Assert.False(v3.GetProperty("paths").TryGetProperty("apis/broken.example.com/v1", out _));

        (int code, string output) = await KubectlAsync("explain", "flunders");
        Assert.True(code == 0, output);
        Assert.Contains(ExtensionApiServer.FlunderDescription, output, StringComparison.Ordinal);
        (code, output) = await KubectlAsync("explain", "flunders.spec");
        Assert.True(code == 0, output);
        Assert.Contains("What the flunder references.", output, StringComparison.Ordinal);

        // The last documents outlive the server going away; the APIService's deletion removes them.
        await extension.DisposeAsync();
        Assert.True((await GetJsonAsync("/openapi/v2")).GetProperty("definitions").TryGetProperty(ExtensionApiServer.FlunderSchema, out _));
        await Client.ApiregistrationV1.DeleteAPIServiceAsync(ApiServiceName);
        await Eventually(
            async () => !(await GetJsonAsync("/openapi/v2")).GetProperty("definitions").TryGetProperty(ExtensionApiServer.FlunderSchema, out _)
                && !(await GetJsonAsync("/openapi/v3")).GetProperty("paths").TryGetProperty($"apis/{ExtensionApiServer.Group}/{ExtensionApiServer.Version}", out _),
            "a deleted APIService's OpenAPI is gone",
            TimeSpan.FromSeconds(30));
        Assert.True((await GetJsonAsync("/openapi/v2")).GetProperty("definitions").TryGetProperty("io.k8s.api.core.v1.Pod", out _));
    }

    [Fact]
    public async Task A_server_the_caBundle_does_not_sign_fails_the_discovery_check_unless_TLS_is_not_verified()
    {
        V1ConfigMap auth = await Client.CoreV1.ReadNamespacedConfigMapAsync("extension-apiserver-authentication", "kube-system");
        await using ExtensionApiServer extension = await ExtensionApiServer.StartAsync(
            "wardle.default.svc", X509Certificate2.CreateFromPem(auth.Data["requestheader-client-ca-file"]), ["front-proxy-client"]);
        await Client.CoreV1.CreateNamespacedServiceAsync(
            new V1Service { Metadata = new V1ObjectMeta { Name = "wardle" }, Spec = new V1ServiceSpec { Ports = [new V1ServicePort { Port = 443, TargetPort = extension.Port }] } }, "default");
        await Client.CoreV1.CreateNamespacedEndpointsAsync(
            new V1Endpoints
            {
                Metadata = new V1ObjectMeta { Name = "wardle" },
                Subsets = [new V1EndpointSubset { Addresses = [new V1EndpointAddress { Ip = ExtensionApiServer.Address.ToString() }], Ports = [new Corev1EndpointPort { Port = extension.Port }] }],
            },
            "default");

        byte[] otherCa = Encoding.ASCII.GetBytes(ExtensionApiServer.CreateCa().ExportCertificatePem());
        await Client.ApiregistrationV1.CreateAPIServiceAsync(ApiService(ApiServiceName, ExtensionApiServer.Version, otherCa));
        V1APIServiceCondition failed = await AvailableAsync(ApiServiceName, c => c.Reason == "FailedDiscoveryCheck", "an untrusted server fails the check");
        Assert.StartsWith($"failing or missing response from https://{ExtensionApiServer.Address}:{extension.Port}/apis/{ExtensionApiServer.Group}/{ExtensionApiServer.Version}", failed.Message, StringComparison.Ordinal);

        // Proxied requests meet the same refusal: 503.
        using HttpClient http = _host.NewHttp(withClientCertificate: true);
        using HttpResponseMessage refused = await http.GetAsync(new Uri(Client.BaseUri, $"/apis/{ExtensionApiServer.Group}/{ExtensionApiServer.Version}/namespaces/default/flunders"));
        Assert.Equal(System.Net.HttpStatusCode.ServiceUnavailable, refused.StatusCode);

        await Client.ApiregistrationV1.PatchAPIServiceAsync(new V1Patch("{\"spec\":{\"caBundle\":null,\"insecureSkipTLSVerify\":true}}", V1Patch.PatchType.MergePatch), ApiServiceName);
        await AvailableAsync(ApiServiceName, c => c.Reason == "Passed", "an unverified server passes");
    }
}
