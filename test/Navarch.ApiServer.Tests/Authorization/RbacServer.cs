using System.Net;
using System.Net.Http.Headers;
using System.Security.Cryptography.X509Certificates;
using System.Text;
using System.Text.Json;
using k8s;
using k8s.Autorest;
using k8s.Models;
using Navarch.Testing;

namespace Navarch.ApiServer.Tests.Authorization;

/// <summary>
/// A real API server with <c>--authorization-mode RBAC</c> and a static token file (users <c>u</c> in groups <c>a</c>
/// and <c>b</c>, and <c>alice</c>), with helpers to act as those users and as service accounts through the official
/// client or raw HTTPS.
/// </summary>
public sealed class RbacServer : IAsyncLifetime
{
    public const string UToken = "u-token-0123456789";
    public const string AliceToken = "alice-token-0123456789";

    private readonly string _tokens = Path.GetTempFileName();
    private ApiServerHost _host = null!;

    public Kubernetes Admin => _host.Client;

    public ApiServerHost Host => _host;

    public async Task InitializeAsync()
    {
        await File.WriteAllTextAsync(_tokens, $"{UToken},u,u-uid,\"a,b\"\n{AliceToken},alice,alice-uid\n");
        _host = await ApiServerHost.StartAsync(tokenAuthFile: _tokens, authorizationMode: "RBAC");
    }

    public async Task DisposeAsync()
    {
        await _host.DisposeAsync();
        File.Delete(_tokens);
    }

    /// <summary>The official client with <paramref name="token"/> as its only credential.</summary>
    public Kubernetes As(string token) => new(new KubernetesClientConfiguration
    {
        Host = $"https://127.0.0.1:{_host.Server.Port}",
        AccessToken = token,
        SslCaCerts = [X509CertificateLoader.LoadCertificate(_host.Server.Pki.Ca.RawData)],
    });

    /// <summary>A new service account in <paramref name="ns"/> (made if missing) and a token for it.</summary>
    public async Task<string> ServiceAccountTokenAsync(string ns, string name)
    {
        await EnsureNamespaceAsync(ns);
        await Admin.CoreV1.CreateNamespacedServiceAccountAsync(new V1ServiceAccount { Metadata = new V1ObjectMeta { Name = name } }, ns);
        return (await Admin.CoreV1.CreateNamespacedServiceAccountTokenAsync(new Authenticationv1TokenRequest { Spec = new V1TokenRequestSpec() }, name, ns)).Status.Token;
    }

    public async Task EnsureNamespaceAsync(string ns)
    {
        try
        {
            await Admin.CoreV1.CreateNamespaceAsync(new V1Namespace { Metadata = new V1ObjectMeta { Name = ns } });
        }
        catch (HttpOperationException e) when (e.Response.StatusCode == HttpStatusCode.Conflict)
        {
        }
    }

    /// <summary>A raw request with a bearer token (or the admin certificate when null) and extra headers.</summary>
    public async Task<(HttpStatusCode Code, string Body)> SendAsync(string? token, HttpMethod method, string path, object? body = null, IEnumerable<(string Name, string Value)>? headers = null)
    {
        using HttpClient http = _host.NewHttp(withClientCertificate: token is null);
        using var request = new HttpRequestMessage(method, path);
        if (token is not null)
        {
            request.Headers.Authorization = new AuthenticationHeaderValue("Bearer", token);
        }

        foreach ((string name, string value) in headers ?? [])
        {
            request.Headers.TryAddWithoutValidation(name, value);
        }

        if (body is not null)
        {
            request.Content = new StringContent(body as string ?? KubernetesJson.Serialize(body), Encoding.UTF8, "application/json");
        }

        using HttpResponseMessage response = await http.SendAsync(request);
        return (response.StatusCode, await response.Content.ReadAsStringAsync());
    }

    public static string Message(string status) => JsonDocument.Parse(status).RootElement.GetProperty("message").GetString()!;

    /// <summary>The status code and message of a call refused by the server.</summary>
    public static async Task<(HttpStatusCode Code, string Message)> RefusedAsync(Func<Task> call)
    {
        HttpOperationException e = await Assert.ThrowsAsync<HttpOperationException>(call);
        return (e.Response.StatusCode, Message(e.Response.Content));
    }

    public static V1PolicyRule Rule(string group, string resource, params string[] verbs) => new() { ApiGroups = [group], Resources = [resource], Verbs = verbs };

    public static Rbacv1Subject ServiceAccount(string ns, string name) => new() { Kind = "ServiceAccount", Name = name, NamespaceProperty = ns };

    public static Rbacv1Subject User(string name) => new() { Kind = "User", Name = name, ApiGroup = "rbac.authorization.k8s.io" };

    public static V1RoleRef ClusterRoleRef(string name) => new() { ApiGroup = "rbac.authorization.k8s.io", Kind = "ClusterRole", Name = name };

    /// <summary>Gives <paramref name="subject"/> the rules of a new ClusterRole, cluster-wide or (with <paramref name="ns"/>) in one namespace.</summary>
    public async Task GrantAsync(string name, Rbacv1Subject subject, string? ns, params V1PolicyRule[] rules)
    {
        await Admin.RbacAuthorizationV1.CreateClusterRoleAsync(new V1ClusterRole { Metadata = new V1ObjectMeta { Name = name }, Rules = rules });
        if (ns is null)
        {
            await Admin.RbacAuthorizationV1.CreateClusterRoleBindingAsync(new V1ClusterRoleBinding { Metadata = new V1ObjectMeta { Name = name }, RoleRef = ClusterRoleRef(name), Subjects = [subject] });
        }
        else
        {
            await Admin.RbacAuthorizationV1.CreateNamespacedRoleBindingAsync(new V1RoleBinding { Metadata = new V1ObjectMeta { Name = name }, RoleRef = ClusterRoleRef(name), Subjects = [subject] }, ns);
        }
    }
}
