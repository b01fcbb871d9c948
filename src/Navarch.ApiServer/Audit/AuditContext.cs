using System.Text.Json.Nodes;
using k8s.Models;
using Microsoft.AspNetCore.Http;
using Navarch.Api;
using Navarch.ApiServer.Http;

namespace Navarch.ApiServer.Audit;

/// <summary>
/// The audit of one request being served (k8s.io/apiserver's AuditContext), kept in the request's features so the layers
/// that see its body and response record them without a stream being read twice: the body reader gives the request
/// object, the responder the response object and Status, the pipeline the impersonated user and the end. Each stage's
/// event goes to the backend unless the policy omits that stage.
/// </summary>
internal sealed class AuditContext
{
    private readonly HttpContext _http;
    private readonly RequestAuditConfig _config;
    private readonly IAuditBackend _backend;
    private readonly TimeProvider _time;
    private int _done;

    public AuditContext(HttpContext http, AuditEvent ev, RequestAuditConfig config, IAuditBackend backend, TimeProvider time)
    {
        _http = http;
        Event = ev;
        _config = config;
        _backend = backend;
        _time = time;
    }

    /// <summary>The event being filled in.</summary>
    public AuditEvent Event { get; }

    /// <summary>The audit of the request, or null when it is not audited.</summary>
    public static AuditContext? Of(HttpContext context) => context.Features.Get<AuditContext>();

    /// <summary>The user the request acts as through impersonation.</summary>
    public void LogImpersonatedUser(UserInfo user) => Event.ImpersonatedUser = user;

    /// <summary>
    /// The body of a resource request, decoded (JSON, YAML or protobuf) — kept as JSON from the Request level on. A
    /// created or updated object also names the object of the event where the URL did not (name, namespace, uid,
    /// resourceVersion); a patch is recorded as it is.
    /// </summary>
    public void LogRequestObject(JsonNode body, bool isPatch)
    {
        if (Event.ObjectRef is not { } reference)
        {
            return;
        }

        if (!isPatch && body["metadata"] is JsonObject metadata)
        {
            reference.Namespace = Fill(reference.Namespace, metadata["namespace"]);
            reference.Name = Fill(reference.Name, metadata["name"]);
            reference.Uid = Fill(reference.Uid, metadata["uid"]);
            reference.ResourceVersion = Fill(reference.ResourceVersion, metadata["resourceVersion"]);
        }

        if (Event.Level >= AuditLevel.Request)
        {
            Event.RequestObject = Capture(_config.OmitManagedFields ? ManagedFields.Without(body) : body, null);
        }
    }

    /// <summary>A Status the response carries: its status, message, reason and details are the event's response status.</summary>
    public void LogResponseStatus(V1Status status) =>
        Event.ResponseStatus = new V1Status { Status = status.Status, Message = status.Message, Reason = status.Reason, Details = status.Details, Code = status.Code };

    /// <summary>Whether this request's event records the response object (level RequestResponse, on a resource).</summary>
    public bool WantsResponseObject => Event.Level == AuditLevel.RequestResponse && Event.ObjectRef is not null;

    /// <summary>The object a resource request is answered with, as written (<paramref name="json"/>), at the RequestResponse level.</summary>
    public void LogResponseObject(JsonNode node, string json)
    {
        if (WantsResponseObject)
        {
            Event.ResponseObject = _config.OmitManagedFields && ManagedFields.Has(node) ? Capture(ManagedFields.Without(node), null) : Capture(node, json);
        }
    }

    /// <summary>The response of a long-running request has started: its ResponseStarted event.</summary>
    public void ResponseStarted(int code)
    {
        Event.ResponseCode = code;
        Emit(AuditStage.ResponseStarted);
    }

    /// <summary>Serving failed unexpectedly: the Panic event, instead of ResponseComplete.</summary>
    public void Panic(Exception error)
    {
        if (Interlocked.Exchange(ref _done, 1) == 0)
        {
            Event.ResponseStatus = new V1Status { Status = "Failure", Reason = "InternalError", Message = $"APIServer panic'd: {error.Message}", Code = 500 };
            Event.ResponseCode = 500;
            Emit(AuditStage.Panic);
        }
    }

    /// <summary>The response is complete: the ResponseComplete event, with the response's code.</summary>
    public void Complete()
    {
        if (Interlocked.Exchange(ref _done, 1) == 0)
        {
            Event.ResponseCode = _http.Response.StatusCode;
            Emit(AuditStage.ResponseComplete);
        }
    }

    /// <summary>Writes the event at <paramref name="stage"/>, with the annotations recorded so far.</summary>
    public void Emit(AuditStage stage)
    {
        if (_config.OmitStages.Contains(stage))
        {
            return;
        }

        if (_http.Features.Get<RequestScope>() is { } scope)
        {
            Event.Annotations = scope.AuditAnnotations;
        }

        DateTimeOffset at = stage == AuditStage.RequestReceived ? Event.RequestReceivedTimestamp : _time.GetUtcNow();
        if (AuditEventWriter.Serialize(Event, stage, at) is { } line)
        {
            _backend.ProcessEvent(line);
        }
    }

    private static string Fill(string current, JsonNode? value) =>
        current.Length == 0 && value is JsonValue v && v.TryGetValue(out string? s) ? s : current;

    /// <summary>An object as JSON, or null (and the event marked truncated) when it alone would not fit in an event.</summary>
    private string? Capture(JsonNode node, string? json)
    {
        json ??= node.ToJsonString(KubernetesSerialization.Plain);
        if (json.Length > AuditEventWriter.MaxEventBytes)
        {
            Event.Truncated = true;
            return null;
        }

        return json;
    }
}
