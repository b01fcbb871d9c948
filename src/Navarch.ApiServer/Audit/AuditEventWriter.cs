using System.Buffers;
using System.Globalization;
using System.Text.Json;
using k8s.Models;
using Navarch.Api;
using Navarch.ApiServer.Http;

namespace Navarch.ApiServer.Audit;

/// <summary>
/// Writes an event as kube-apiserver's JSON log backend does: one audit.k8s.io/v1 <c>Event</c> object per line, fields
/// in the order of its Go type, timestamps in microseconds (metav1.MicroTime). An event over
/// <see cref="MaxEventBytes"/> loses its request and response objects and says <c>audit.k8s.io/truncated: "true"</c>,
/// as Kubernetes' truncating backend does at its default limit; one still too large is not written.
/// </summary>
internal static class AuditEventWriter
{
    /// <summary>kube-apiserver's default <c>--audit-log-truncate-max-event-size</c>.</summary>
    public const int MaxEventBytes = 100 * 1024;

    private const string TruncatedAnnotation = "audit.k8s.io/truncated";

    private static readonly JsonWriterOptions WriterOptions = new() { Encoder = System.Text.Encodings.Web.JavaScriptEncoder.UnsafeRelaxedJsonEscaping };

    /// <summary>The event at <paramref name="stage"/> as one line (ending in '\n'), or null when it cannot fit.</summary>
    public static byte[]? Serialize(AuditEvent ev, AuditStage stage, DateTimeOffset stageTimestamp)
    {
        bool truncate = ev.Truncated;
        byte[] line = Write(ev, stage, stageTimestamp, truncate);
        if (line.Length > MaxEventBytes && !truncate && ev.Level >= AuditLevel.Request)
        {
            line = Write(ev, stage, stageTimestamp, truncate: true);
        }

        return line.Length > MaxEventBytes ? null : line;
    }

    /// <summary>metav1.MicroTime's format: RFC 3339 in UTC with six fractional digits.</summary>
    public static string MicroTime(DateTimeOffset time) => time.UtcDateTime.ToString("yyyy-MM-dd'T'HH:mm:ss.ffffff'Z'", CultureInfo.InvariantCulture);

    private static byte[] Write(AuditEvent ev, AuditStage stage, DateTimeOffset stageTimestamp, bool truncate)
    {
        var buffer = new ArrayBufferWriter<byte>(1024);
        using (var w = new Utf8JsonWriter(buffer, WriterOptions))
        {
            w.WriteStartObject();
            w.WriteString("kind", "Event");
            w.WriteString("apiVersion", "audit.k8s.io/v1");
            w.WriteString("level", ev.Level.ToString());
            w.WriteString("auditID", ev.AuditId);
            w.WriteString("stage", stage.ToString());
            w.WriteString("requestURI", ev.RequestUri);
            w.WriteString("verb", ev.Verb);
            w.WritePropertyName("user");
            WriteUser(w, ev.User);
            if (ev.ImpersonatedUser is { } impersonated)
            {
                w.WritePropertyName("impersonatedUser");
                WriteUser(w, impersonated);
            }

            if (ev.SourceIps.Count > 0)
            {
                w.WriteStartArray("sourceIPs");
                foreach (string ip in ev.SourceIps)
                {
                    w.WriteStringValue(ip);
                }

                w.WriteEndArray();
            }

            WriteIfSet(w, "userAgent", ev.UserAgent);
            if (ev.ObjectRef is { } o)
            {
                w.WriteStartObject("objectRef");
                WriteIfSet(w, "resource", o.Resource);
                WriteIfSet(w, "namespace", o.Namespace);
                WriteIfSet(w, "name", o.Name);
                WriteIfSet(w, "uid", o.Uid);
                WriteIfSet(w, "apiGroup", o.ApiGroup);
                WriteIfSet(w, "apiVersion", o.ApiVersion);
                WriteIfSet(w, "resourceVersion", o.ResourceVersion);
                WriteIfSet(w, "subresource", o.Subresource);
                w.WriteEndObject();
            }

            if (ev.ResponseCode is not null || ev.ResponseStatus is not null)
            {
                WriteStatus(w, ev.ResponseStatus, ev.ResponseCode);
            }

            if (!truncate && ev.RequestObject is { } request)
            {
                w.WritePropertyName("requestObject");
                w.WriteRawValue(request, skipInputValidation: true);
            }

            if (!truncate && ev.ResponseObject is { } response)
            {
                w.WritePropertyName("responseObject");
                w.WriteRawValue(response, skipInputValidation: true);
            }

            w.WriteString("requestReceivedTimestamp", MicroTime(ev.RequestReceivedTimestamp));
            w.WriteString("stageTimestamp", MicroTime(stageTimestamp));
            if (ev.Annotations is { Count: > 0 } || truncate)
            {
                w.WriteStartObject("annotations");
                foreach ((string key, string value) in ev.Annotations ?? new Dictionary<string, string>())
                {
                    w.WriteString(key, value);
                }

                if (truncate)
                {
                    w.WriteString(TruncatedAnnotation, "true");
                }

                w.WriteEndObject();
            }

            w.WriteEndObject();
        }

        byte[] line = new byte[buffer.WrittenCount + 1];
        buffer.WrittenSpan.CopyTo(line);
        line[^1] = (byte)'\n';
        return line;
    }

    /// <summary>authentication/v1 UserInfo: username, uid, groups, extra, each left out when empty.</summary>
    private static void WriteUser(Utf8JsonWriter w, UserInfo? user)
    {
        w.WriteStartObject();
        if (user is not null)
        {
            WriteIfSet(w, "username", user.Name);
            WriteIfSet(w, "uid", user.Uid);
            if (user.Groups.Count > 0)
            {
                w.WriteStartArray("groups");
                foreach (string group in user.Groups)
                {
                    w.WriteStringValue(group);
                }

                w.WriteEndArray();
            }

            if (user.Extra is { Count: > 0 } extra)
            {
                w.WriteStartObject("extra");
                foreach ((string key, IReadOnlyList<string> values) in extra)
                {
                    w.WriteStartArray(key);
                    foreach (string value in values)
                    {
                        w.WriteStringValue(value);
                    }

                    w.WriteEndArray();
                }

                w.WriteEndObject();
            }
        }

        w.WriteEndObject();
    }

    /// <summary>
    /// metav1.Status with the fields kube-apiserver's audit copies (status, message, reason, details) and the HTTP
    /// code; <c>metadata</c> is always there, empty.
    /// </summary>
    private static void WriteStatus(Utf8JsonWriter w, V1Status? status, int? code)
    {
        w.WriteStartObject("responseStatus");
        w.WriteStartObject("metadata");
        w.WriteEndObject();
        if (status is not null)
        {
            WriteIfSet(w, "status", status.Status);
            WriteIfSet(w, "message", status.Message);
            WriteIfSet(w, "reason", status.Reason);
            if (status.Details is { } details)
            {
                w.WritePropertyName("details");
                w.WriteRawValue(JsonSerializer.Serialize(details, KubernetesSerialization.Plain), skipInputValidation: true);
            }
        }

        if ((code ?? status?.Code) is { } c)
        {
            w.WriteNumber("code", c);
        }

        w.WriteEndObject();
    }

    private static void WriteIfSet(Utf8JsonWriter w, string name, string? value)
    {
        if (!string.IsNullOrEmpty(value))
        {
            w.WriteString(name, value);
        }
    }
}
