using System.Text;
using System.Text.Json;
using k8s.Models;
using Navarch.ApiServer.Audit;
using Navarch.ApiServer.Http;

namespace Navarch.ApiServer.Tests.Audit;

/// <summary>One audit.k8s.io/v1 Event per line, as kube-apiserver's JSON log backend writes it, and its truncation.</summary>
[Trait("Category", "Unit")]
public sealed class AuditEventWriterTests
{
    private static readonly DateTimeOffset Received = new DateTimeOffset(2026, 12, 6, 23, 1, 2, 123, TimeSpan.Zero).AddTicks(4560);

    private static AuditEvent Event(AuditLevel level) => new()
    {
        Level = level,
        AuditId = "9a7c4d3e-0000-4000-8000-000000000001",
        RequestUri = "/api/v1/namespaces/default/configmaps?fieldManager=kubectl-create",
        Verb = "create",
        User = new UserInfo("alice", "", ["devs", "system:authenticated"]),
        SourceIps = ["127.0.0.1"],
        UserAgent = "kubectl/v1.32.0",
        ObjectRef = new AuditObjectReference { Resource = "configmaps", Namespace = "default", Name = "c", ApiVersion = "v1" },
        RequestReceivedTimestamp = Received,
    };

    [Fact]
    public void An_event_is_one_line_with_Kubernetes_field_names_and_microsecond_times()
    {
        AuditEvent ev = Event(AuditLevel.Request);
        ev.RequestObject = """{"kind":"ConfigMap","apiVersion":"v1","metadata":{"name":"c"}}""";
        ev.ResponseCode = 201;
        ev.Annotations = new Dictionary<string, string> { ["authorization.k8s.io/decision"] = "allow", ["authorization.k8s.io/reason"] = "" };
        byte[] line = AuditEventWriter.Serialize(ev, AuditStage.ResponseComplete, Received.AddMilliseconds(5))!;
        Assert.Equal((byte)'\n', line[^1]);
        Assert.Single(Encoding.UTF8.GetString(line).Split('\n', StringSplitOptions.RemoveEmptyEntries));
        Assert.Equal(
            """{"kind":"Event","apiVersion":"audit.k8s.io/v1","level":"Request","auditID":"9a7c4d3e-0000-4000-8000-000000000001","stage":"ResponseComplete","requestURI":"/api/v1/namespaces/default/configmaps?fieldManager=kubectl-create","verb":"create","user":{"username":"alice","groups":["devs","system:authenticated"]},"sourceIPs":["127.0.0.1"],"userAgent":"kubectl/v1.32.0","objectRef":{"resource":"configmaps","namespace":"default","name":"c","apiVersion":"v1"},"responseStatus":{"metadata":{},"code":201},"requestObject":{"kind":"ConfigMap","apiVersion":"v1","metadata":{"name":"c"}},"requestReceivedTimestamp":"2026-12-06T23:01:02.123456Z","stageTimestamp":"2026-12-06T23:01:02.128456Z","annotations":{"authorization.k8s.io/decision":"allow","authorization.k8s.io/reason":""}}""" + "\n",
            Encoding.UTF8.GetString(line));
    }

    [Fact]
    public void A_failure_carries_the_Status_fields_and_no_user_is_an_empty_user()
    {
        var ev = new AuditEvent { Level = AuditLevel.Metadata, AuditId = "x", RequestUri = "/api", Verb = "get", RequestReceivedTimestamp = Received };
        ev.ResponseStatus = new V1Status { Status = "Failure", Message = "pods \"p\" is forbidden", Reason = "Forbidden", Details = new V1StatusDetails { Name = "p", Kind = "pods" }, Code = 403 };
        ev.ResponseCode = 403;
        using JsonDocument doc = JsonDocument.Parse(AuditEventWriter.Serialize(ev, AuditStage.ResponseComplete, Received)!);
        Assert.Equal("{}", doc.RootElement.GetProperty("user").GetRawText());
        Assert.False(doc.RootElement.TryGetProperty("objectRef", out _));
        JsonElement status = doc.RootElement.GetProperty("responseStatus");
        Assert.Equal(("Failure", "Forbidden", 403, "p"), (status.GetProperty("status").GetString(), status.GetProperty("reason").GetString(), status.GetProperty("code").GetInt32(), status.GetProperty("details").GetProperty("name").GetString()));
        Assert.Equal("{}", status.GetProperty("metadata").GetRawText());
    }

    [Fact]
    public void An_event_too_large_loses_its_objects_and_says_it_was_truncated()
    {
        AuditEvent ev = Event(AuditLevel.RequestResponse);
        string big = "{\"data\":\"" + new string('x', 60 * 1024) + "\"}";
        ev.RequestObject = big;
        ev.ResponseObject = big;
        using JsonDocument doc = JsonDocument.Parse(AuditEventWriter.Serialize(ev, AuditStage.ResponseComplete, Received)!);
        Assert.False(doc.RootElement.TryGetProperty("requestObject", out _));
        Assert.False(doc.RootElement.TryGetProperty("responseObject", out _));
        Assert.Equal("true", doc.RootElement.GetProperty("annotations").GetProperty("audit.k8s.io/truncated").GetString());

        ev.ResponseObject = null;
        using JsonDocument fits = JsonDocument.Parse(AuditEventWriter.Serialize(ev, AuditStage.ResponseComplete, Received)!);
        Assert.Equal(60 * 1024, fits.RootElement.GetProperty("requestObject").GetProperty("data").GetString()!.Length);
    }
}
