using System.Net;
using System.Text.Json;

namespace Navarch.ApiServer.Tests.Audit;

/// <summary>
/// Audit events of a real API server, as kube-apiserver writes them: the stages per verb (and ResponseStarted for
/// long-running requests), what each level records, omitted stages, the authorization decision, impersonation, failed
/// authentication, and admission's annotations.
/// </summary>
[Trait("Category", "Integration")]
public sealed class AuditLogTests(AuditedServer server) : IClassFixture<AuditedServer>
{
    private static string Stage(JsonElement e) => e.GetProperty("stage").GetString()!;

    private static string? Text(JsonElement e, params string[] path)
    {
        foreach (string p in path)
        {
            if (e.ValueKind != JsonValueKind.Object || !e.TryGetProperty(p, out e))
            {
                return null;
            }
        }

        return e.ValueKind == JsonValueKind.String ? e.GetString() : e.GetRawText();
    }

    private async Task EnsureNamespaceAsync(string ns) =>
        await server.SendAsync(HttpMethod.Post, "/api/v1/namespaces", "{\"metadata\":{\"name\":\"" + ns + "\"}}");

    [Fact]
    public async Task RequestResponse_records_both_objects_for_every_verb_with_the_response_code()
    {
        await EnsureNamespaceAsync("rr");
        (HttpStatusCode code, string _, string id) = await server.SendAsync(HttpMethod.Post, "/api/v1/namespaces/rr/configmaps", """{"apiVersion":"v1","kind":"ConfigMap","metadata":{"name":"cm"},"data":{"k":"v"}}""");
        Assert.Equal(HttpStatusCode.Created, code);
        List<JsonElement> events = await server.EventsAsync(id, 2);
        Assert.Equal(["RequestReceived", "ResponseComplete"], events.Select(Stage));
        JsonElement created = events[1];
        Assert.Equal(("RequestResponse", "create", "201"), (Text(created, "level"), Text(created, "verb"), Text(created, "responseStatus", "code")));
        Assert.Equal("/api/v1/namespaces/rr/configmaps", Text(created, "requestURI"));
        // The object's name comes from the body sent.
        Assert.Equal("""{"resource":"configmaps","namespace":"rr","name":"cm","apiVersion":"v1"}""", Text(created, "objectRef"));
        Assert.Equal("v", Text(created, "requestObject", "data", "k"));
        Assert.NotNull(Text(created, "responseObject", "metadata", "uid"));
        Assert.Equal(("system:admin", """["system:masters","system:authenticated"]"""), (Text(created, "user", "username"), Text(created, "user", "groups")));
        Assert.Equal(("""["127.0.0.1"]""", "audit-test/1.0"), (Text(created, "sourceIPs"), Text(created, "userAgent")));
        Assert.Equal(("allow", ""), (Text(created, "annotations", "authorization.k8s.io/decision"), Text(created, "annotations", "authorization.k8s.io/reason")));
        Assert.Null(Text(events[0], "requestObject"));
        Assert.Null(Text(events[0], "annotations"));
        Assert.Matches(@"^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\.\d{6}Z$", Text(created, "stageTimestamp"));
        Assert.Equal(Text(events[0], "stageTimestamp"), Text(events[0], "requestReceivedTimestamp"));

        (_, _, id) = await server.SendAsync(HttpMethod.Get, "/api/v1/namespaces/rr/configmaps/cm");
        JsonElement get = (await server.EventsAsync(id, 2))[1];
        Assert.Equal(("get", "200", "cm", "ConfigMap"), (Text(get, "verb"), Text(get, "responseStatus", "code"), Text(get, "objectRef", "name"), Text(get, "responseObject", "kind")));
        Assert.Null(Text(get, "requestObject"));

        (_, _, id) = await server.SendAsync(HttpMethod.Get, "/api/v1/namespaces/rr/configmaps?limit=10");
        JsonElement list = (await server.EventsAsync(id, 2))[1];
        Assert.Equal(("list", null, "ConfigMapList"), (Text(list, "verb"), Text(list, "objectRef", "name"), Text(list, "responseObject", "kind")));
        Assert.Equal("/api/v1/namespaces/rr/configmaps?limit=10", Text(list, "requestURI"));

        (code, _, id) = await server.SendAsync(HttpMethod.Patch, "/api/v1/namespaces/rr/configmaps/cm", """{"data":{"k":"w"}}""", contentType: "application/merge-patch+json");
        Assert.Equal(HttpStatusCode.OK, code);
        JsonElement patch = (await server.EventsAsync(id, 2))[1];
        Assert.Equal(("patch", """{"data":{"k":"w"}}""", "w"), (Text(patch, "verb"), Text(patch, "requestObject"), Text(patch, "responseObject", "data", "k")));

        (code, _, id) = await server.SendAsync(HttpMethod.Delete, "/api/v1/namespaces/rr/configmaps/cm");
        Assert.Equal(HttpStatusCode.OK, code);
        JsonElement delete = (await server.EventsAsync(id, 2))[1];
        Assert.Equal(("delete", "200", "cm"), (Text(delete, "verb"), Text(delete, "responseStatus", "code"), Text(delete, "objectRef", "name")));

        (code, _, id) = await server.SendAsync(HttpMethod.Get, "/api/v1/namespaces/rr/configmaps/cm");
        JsonElement missing = (await server.EventsAsync(id, 2))[1];
        Assert.Equal(("404", "Failure", "NotFound", "configmaps \"cm\" not found"), (Text(missing, "responseStatus", "code"), Text(missing, "responseStatus", "status"), Text(missing, "responseStatus", "reason"), Text(missing, "responseStatus", "message")));
        Assert.Equal("Status", Text(missing, "responseObject", "kind"));
    }

    [Fact]
    public async Task Long_running_requests_have_a_ResponseStarted_event()
    {
        await EnsureNamespaceAsync("rr");
        (HttpStatusCode code, _, string id) = await server.SendAsync(HttpMethod.Get, "/api/v1/namespaces/rr/configmaps?watch=1&timeoutSeconds=1");
        Assert.Equal(HttpStatusCode.OK, code);
        List<JsonElement> watch = await server.EventsAsync(id, 3);
        Assert.Equal(["RequestReceived", "ResponseStarted", "ResponseComplete"], watch.Select(Stage));
        Assert.Equal(("watch", "200", "200"), (Text(watch[1], "verb"), Text(watch[1], "responseStatus", "code"), Text(watch[2], "responseStatus", "code")));

        // exec is long-running too (here refused: the pod does not exist).
        (code, _, id) = await server.SendAsync(HttpMethod.Post, "/api/v1/namespaces/rr/pods/nothere/exec?command=ls&stdout=true");
        Assert.Equal(HttpStatusCode.NotFound, code);
        List<JsonElement> exec = await server.EventsAsync(id, 3);
        Assert.Equal(["RequestReceived", "ResponseStarted", "ResponseComplete"], exec.Select(Stage));
        Assert.Equal(("create", "exec", "nothere", "404"), (Text(exec[2], "verb"), Text(exec[2], "objectRef", "subresource"), Text(exec[2], "objectRef", "name"), Text(exec[2], "responseStatus", "code")));
    }

    [Fact]
    public async Task Request_level_records_the_request_only_and_its_rule_omits_RequestReceived()
    {
        await EnsureNamespaceAsync("req");
        (_, _, string id) = await server.SendAsync(HttpMethod.Post, "/api/v1/namespaces/req/configmaps", """{"metadata":{"name":"cm"},"data":{"k":"v"}}""");
        JsonElement only = Assert.Single(await server.EventsAsync(id, 1));
        Assert.Equal(("ResponseComplete", "Request", "v", null), (Stage(only), Text(only, "level"), Text(only, "requestObject", "data", "k"), Text(only, "responseObject")));

        // Metadata: no objects, but the object named from the body sent.
        (_, _, id) = await server.SendAsync(HttpMethod.Post, "/api/v1/namespaces/default/secrets", """{"metadata":{"name":"s"},"stringData":{"password":"hunter2"}}""");
        JsonElement secret = (await server.EventsAsync(id, 2))[1];
        Assert.Equal(("Metadata", "s", null, null), (Text(secret, "level"), Text(secret, "objectRef", "name"), Text(secret, "requestObject"), Text(secret, "responseObject")));
        Assert.DoesNotContain("hunter2", await File.ReadAllTextAsync(server.LogPath), StringComparison.Ordinal);

        // Not audited at all (level None): health checks still get an audit ID.
        (_, _, id) = await server.SendAsync(HttpMethod.Get, "/readyz");
        await server.SendAsync(HttpMethod.Get, "/api/v1/namespaces/req/configmaps/cm");
        Assert.DoesNotContain(AuditedServer.ReadEvents(server.LogPath), e => Text(e, "auditID") == id);
    }

    [Fact]
    public async Task Rules_match_by_user_and_by_group_and_verb_in_order()
    {
        await EnsureNamespaceAsync("rr");

        // bob's rule (None) comes before namespace rr's (RequestResponse): nothing of his is logged.
        (HttpStatusCode code, _, string bob) = await server.SendAsync(HttpMethod.Get, "/api/v1/namespaces/rr/configmaps", token: AuditedServer.BobToken);
        Assert.Equal(HttpStatusCode.Forbidden, code);

        // carol is in group auditors: her reads are RequestResponse anywhere (here a refusal, its Status the response object)...
        (code, _, string read) = await server.SendAsync(HttpMethod.Get, "/api/v1/namespaces/default/configmaps/cm", token: AuditedServer.CarolToken);
        Assert.Equal(HttpStatusCode.Forbidden, code);
        JsonElement get = (await server.EventsAsync(read, 2))[1];
        Assert.Equal(("RequestResponse", "get", "carol", "Status", "403"), (Text(get, "level"), Text(get, "verb"), Text(get, "user", "username"), Text(get, "responseObject", "kind"), Text(get, "responseObject", "code")));

        // ...and her writes fall through to the catch-all Metadata rule: no objects.
        (code, _, string write) = await server.SendAsync(HttpMethod.Post, "/api/v1/namespaces/default/configmaps", """{"metadata":{"name":"cm"}}""", token: AuditedServer.CarolToken);
        Assert.Equal(HttpStatusCode.Forbidden, code);
        JsonElement create = (await server.EventsAsync(write, 2))[1];
        Assert.Equal(("Metadata", "create", null, null), (Text(create, "level"), Text(create, "verb"), Text(create, "requestObject"), Text(create, "responseObject")));

        // Events are written in order, so carol's being there means bob's would be too.
        Assert.DoesNotContain(AuditedServer.ReadEvents(server.LogPath), e => Text(e, "auditID") == bob || Text(e, "user", "username") == "bob");
    }

    [Fact]
    public async Task A_refusal_is_recorded_with_the_forbid_decision_and_its_status()
    {
        (HttpStatusCode code, _, string id) = await server.SendAsync(HttpMethod.Get, "/api/v1/namespaces/default/pods", token: AuditedServer.AliceToken);
        Assert.Equal(HttpStatusCode.Forbidden, code);
        JsonElement refused = (await server.EventsAsync(id, 2))[1];
        Assert.Equal(("alice", "alice-uid", """["devs","system:authenticated"]"""), (Text(refused, "user", "username"), Text(refused, "user", "uid"), Text(refused, "user", "groups")));
        Assert.Equal(("forbid", ""), (Text(refused, "annotations", "authorization.k8s.io/decision"), Text(refused, "annotations", "authorization.k8s.io/reason")));
        Assert.Equal(("403", "Forbidden"), (Text(refused, "responseStatus", "code"), Text(refused, "responseStatus", "reason")));
        Assert.Equal("pods is forbidden: User \"alice\" cannot list resource \"pods\" in API group \"\" in the namespace \"default\"", Text(refused, "responseStatus", "message"));
    }

    [Fact]
    public async Task The_user_is_who_authenticated_and_the_impersonated_user_is_recorded_beside()
    {
        (HttpStatusCode code, _, string id) = await server.SendAsync(HttpMethod.Get, "/api/v1/namespaces/default/configmaps", headers: [("Impersonate-User", "alice"), ("Impersonate-Group", "devs")]);
        Assert.Equal(HttpStatusCode.Forbidden, code);
        JsonElement ev = (await server.EventsAsync(id, 2))[1];
        Assert.Equal(("system:admin", "alice", """["devs","system:authenticated"]"""), (Text(ev, "user", "username"), Text(ev, "impersonatedUser", "username"), Text(ev, "impersonatedUser", "groups")));
        Assert.Equal("forbid", Text(ev, "annotations", "authorization.k8s.io/decision"));

        // A client's own Audit-ID is kept.
        (_, _, id) = await server.SendAsync(HttpMethod.Get, "/api/v1/namespaces/default/configmaps", headers: [("Audit-ID", "mine-0001")]);
        Assert.Equal("mine-0001", id);
        Assert.Equal(2, (await server.EventsAsync("mine-0001", 2)).Count);
    }

    [Fact]
    public async Task Failed_authentication_is_one_ResponseStarted_event_with_no_user()
    {
        (HttpStatusCode code, _, string id) = await server.SendAsync(HttpMethod.Get, "/api/v1/namespaces/default/pods", token: "not-a-token");
        Assert.Equal(HttpStatusCode.Unauthorized, code);
        JsonElement ev = Assert.Single(await server.EventsAsync(id, 1));
        Assert.Equal(("ResponseStarted", "{}", "401", "Authentication failed, attempted: bearer"), (Stage(ev), Text(ev, "user"), Text(ev, "responseStatus", "code"), Text(ev, "responseStatus", "message")));
    }

    [Fact]
    public async Task Admission_annotations_are_in_the_event()
    {
        await server.SendAsync(HttpMethod.Post, "/api/v1/namespaces", """{"metadata":{"name":"psa","labels":{"pod-security.kubernetes.io/audit":"restricted"}}}""");
        (HttpStatusCode code, _, string id) = await server.SendAsync(HttpMethod.Post, "/api/v1/namespaces/psa/pods", """{"metadata":{"name":"p"},"spec":{"containers":[{"name":"c","image":"busybox"}]}}""");
        Assert.Equal(HttpStatusCode.Created, code);
        JsonElement ev = (await server.EventsAsync(id, 2))[1];
        Assert.Contains("would violate PodSecurity \"restricted:latest\": allowPrivilegeEscalation != false", Text(ev, "annotations", "pod-security.kubernetes.io/audit-violations"), StringComparison.Ordinal);
        Assert.Equal("allow", Text(ev, "annotations", "authorization.k8s.io/decision"));
    }
}
