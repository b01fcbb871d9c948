using System.Net;
using System.Net.Http.Headers;
using System.Text;
using System.Text.Json;
using Navarch.ApiServer.Audit;
using Navarch.Testing;

namespace Navarch.ApiServer.Tests.Audit;

/// <summary>
/// A real API server with RBAC, a static token for <c>alice</c> and an audit policy with a rule per level, logging to a
/// file in its data dir; requests are sent raw and their events found in the log by their <c>Audit-Id</c>.
/// </summary>
public sealed class AuditedServer : IAsyncLifetime
{
    public const string AliceToken = "alice-token-0123456789";

    /// <summary><c>bob</c>, whose requests the policy does not audit (a rule by user).</summary>
    public const string BobToken = "bob-token-0123456789";

    /// <summary><c>carol</c> of group <c>auditors</c>, whose reads are audited at RequestResponse (a rule by group and verb).</summary>
    public const string CarolToken = "carol-token-0123456789";

    private const string Policy = """
        apiVersion: audit.k8s.io/v1
        kind: Policy
        rules:
        - level: None
          nonResourceURLs: ["/healthz*", "/readyz", "/livez"]
        - level: None
          users: [bob]
        - level: RequestResponse
          userGroups: [auditors]
          verbs: [get, list]
        - level: RequestResponse
          namespaces: [rr]
        - level: Request
          namespaces: [req]
          omitStages: [RequestReceived]
        - level: Metadata
          resources:
          - group: ""
            resources: [secrets]
        - level: Metadata
        """;

    private readonly DirectoryInfo _dir = Directory.CreateTempSubdirectory("navarch-audit-");
    private ApiServerHost _host = null!;

    public ApiServerHost Host => _host;

    public string LogPath => Path.Combine(_dir.FullName, "log", "audit.log");

    public async Task InitializeAsync()
    {
        string tokens = Path.Combine(_dir.FullName, "tokens.csv");
        string policy = Path.Combine(_dir.FullName, "policy.yaml");
        await File.WriteAllTextAsync(tokens, $"{AliceToken},alice,alice-uid,\"devs\"\n{BobToken},bob,bob-uid,\"devs\"\n{CarolToken},carol,carol-uid,\"devs,auditors\"\n");
        await File.WriteAllTextAsync(policy, Policy);
        _host = await ApiServerHost.StartAsync(tokenAuthFile: tokens, authorizationMode: "RBAC", audit: new AuditOptions { PolicyFile = policy, LogPath = LogPath });
    }

    public async Task DisposeAsync()
    {
        await _host.DisposeAsync();
        _dir.Delete(recursive: true);
    }

    /// <summary>A raw request (admin certificate unless a token is given); its status, body and audit ID.</summary>
    public async Task<(HttpStatusCode Code, string Body, string AuditId)> SendAsync(HttpMethod method, string path, string? body = null, string? token = null, string contentType = "application/json", params (string Name, string Value)[] headers)
    {
        using HttpClient http = _host.NewHttp(withClientCertificate: token is null);
        using var request = new HttpRequestMessage(method, path);
        if (token is not null)
        {
            request.Headers.Authorization = new AuthenticationHeaderValue("Bearer", token);
        }

        request.Headers.UserAgent.ParseAdd("audit-test/1.0");
        foreach ((string name, string value) in headers)
        {
            request.Headers.TryAddWithoutValidation(name, value);
        }

        if (body is not null)
        {
            request.Content = new StringContent(body, Encoding.UTF8);
            request.Content.Headers.ContentType = new MediaTypeHeaderValue(contentType);
        }

        using HttpResponseMessage response = await http.SendAsync(request);
        return (response.StatusCode, await response.Content.ReadAsStringAsync(), response.Headers.GetValues("Audit-Id").Single());
    }

    /// <summary>The events of one request, once it has <paramref name="count"/> of them (they are written asynchronously).</summary>
    public async Task<List<JsonElement>> EventsAsync(string auditId, int count) =>
        await Eventually(
            () => Task.FromResult(ReadEvents(LogPath).Where(e => e.GetProperty("auditID").GetString() == auditId).ToList()),
            events => events.Count >= count,
            $"{count} audit events of {auditId}");

    /// <summary>Every event in a log file; none while it is missing (between a rotation's rename and the new file).</summary>
    public static List<JsonElement> ReadEvents(string path)
    {
        FileStream stream;
        try
        {
            stream = new FileStream(path, FileMode.Open, FileAccess.Read, FileShare.ReadWrite | FileShare.Delete);
        }
        catch (FileNotFoundException)
        {
            return [];
        }

        using var reader = new StreamReader(stream);
        var events = new List<JsonElement>();
        while (reader.ReadLine() is { } line)
        {
            if (line.EndsWith('}'))
            {
                events.Add(JsonDocument.Parse(line).RootElement.Clone());
            }
        }

        return events;
    }
}
