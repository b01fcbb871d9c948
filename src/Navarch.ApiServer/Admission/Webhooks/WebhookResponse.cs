using System.Text.Json.Nodes;
using k8s.Models;

namespace Navarch.ApiServer.Admission.Webhooks;

/// <summary>The <c>response</c> of an AdmissionReview v1 a webhook answered.</summary>
internal sealed record WebhookResponse(
    bool Allowed,
    V1Status? Status,
    JsonNode? Patch,
    string? PatchType,
    IReadOnlyDictionary<string, string> AuditAnnotations,
    IReadOnlyList<string> Warnings);
