using System.Text.Json.Nodes;
using k8s;
using k8s.Models;
using Microsoft.Extensions.Logging;
using Navarch.Api;
using Navarch.Api.Resources;

namespace Navarch.ApiServer.Admission.Webhooks;

/// <summary>
/// What calling one webhook means for both dispatchers (apiserver's webhook/generic and the mutating and validating
/// dispatchers): whether it applies to a request — rules (and, under matchPolicy Equivalent, the same resource served
/// in another group or version), namespaceSelector, objectSelector, matchConditions (CEL) —, the dry-run refusal of a webhook with side
/// effects, the call, its failure policy, and a denial as Kubernetes words it.
/// </summary>
internal sealed partial class WebhookDispatcher(WebhookClient client, AdmissionSelectors selectors, ResourceCatalog catalog, ILogger logger)
{
    private readonly Lock _annotations = new();

    /// <summary>The resource the webhook matched the request on (the request's, or an equivalent one), or null when it does not apply.</summary>
    public async ValueTask<ResourceDefinition?> MatchAsync(Webhook webhook, AdmissionRequest request, CancellationToken cancellationToken)
    {
        ResourceDefinition? matched = webhook.Rules.Any(r => AdmissionRules.Matches(r, request, request.Resource)) ? request.Resource : null;
        if (matched is null && webhook.MatchPolicy == "Equivalent")
        {
            // The same objects served under another group or version (they share a storage prefix).
            matched = catalog.All.FirstOrDefault(d => d != request.Resource && d.StoragePrefix == request.Resource.StoragePrefix
                && webhook.Rules.Any(r => AdmissionRules.Matches(r, request, d)));
        }

        if (matched is null || !AdmissionSelectors.ObjectMatches(webhook.ObjectSelector, request))
        {
            return null;
        }

        if (!await selectors.NamespaceMatchesAsync(webhook.NamespaceSelector, request, cancellationToken))
        {
            return null;
        }

        if (webhook.MatchConditions.Count == 0)
        {
            return matched;
        }

        (bool matches, string? error) = Policies.AdmissionCel.MatchConditions(
            webhook.MatchConditions.Select(c => (c.Name, c.Expression)), Policies.AdmissionCel.MatchConditionVariables,
            await Policies.AdmissionCel.VariablesAsync(request, matched, cancellationToken));
        if (error is not null)
        {
            // The matcher's failure policy: Fail refuses the request (generic/webhook.go's ShouldCallHook, a Forbidden
            // carrying the error), Ignore skips the webhook.
            if (webhook.FailClosed)
            {
                LogMatchConditionsFailed(logger, webhook.Name, error);
                throw ApiErrors.Forbidden(request.Resource.GroupResource, request.Name, error);
            }

            return null;
        }

        return matches ? matched : null;
    }

    /// <summary>
    /// Calls <paramref name="webhook"/> about <paramref name="request"/>: its answer, or null when the call failed and the
    /// webhook's failurePolicy is Ignore. A failure under Fail, and a dry run the webhook cannot take, throw a Status.
    /// </summary>
    /// <remarks>
    /// A webhook matched on an equivalent version gets the objects in that version: <paramref name="versioned"/> when the
    /// caller converted them already, else converted here.
    /// </remarks>
    public async Task<WebhookResponse?> CallAsync(
        Webhook webhook, AdmissionRequest request, ResourceDefinition resource, string round, CancellationToken cancellationToken,
        (IKubernetesObject<V1ObjectMeta>? Object, IKubernetesObject<V1ObjectMeta>? OldObject)? versioned = null)
    {
        if (request.DryRun && !webhook.SupportsDryRun)
        {
            throw ApiErrors.BadRequest($"admission webhook \"{webhook.Name}\" does not support dry run");
        }

        versioned ??= await EquivalentVersions.OfAsync(request, resource, cancellationToken);
        string uid = Guid.NewGuid().ToString();
        try
        {
            JsonObject review = AdmissionReview.Request(uid, request, resource, versioned.Value.Object, versioned.Value.OldObject);
            byte[] body = await client.PostAsync(webhook, review, cancellationToken);
            return AdmissionReview.Response(webhook.Name, uid, body);
        }
        catch (WebhookCallException e) when (!webhook.FailClosed)
        {
            LogFailedOpen(logger, webhook.Name, e.Message);
            // Validating webhooks are called concurrently; the request's annotations are not synchronized.
            lock (_annotations)
            {
                request.AddAuditAnnotation($"failed-open.{round}.webhook.admission.k8s.io/round_0_index_{webhook.Index}", webhook.Name);
            }
            return null;
        }
        catch (WebhookCallException e)
        {
            throw ApiErrors.Internal(e.Message);
        }
    }

    /// <summary>Passes a response's warnings and audit annotations on (the latter under the webhook's name, as Kubernetes keys them).</summary>
    public static void Record(Webhook webhook, WebhookResponse response, AdmissionRequest request)
    {
        foreach (string warning in response.Warnings)
        {
            request.AddWarning(warning);
        }

        foreach ((string key, string value) in response.AuditAnnotations)
        {
            request.AddAuditAnnotation($"{webhook.Name}/{key}", value);
        }
    }

    /// <summary>
    /// A denial (Kubernetes' webhook ToStatusErr): the webhook's status, 403 Forbidden unless it gave another code, its
    /// message after <c>admission webhook "name" denied the request</c>, prefixed as a Forbidden or an internal error.
    /// </summary>
    public static StatusException Denied(Webhook webhook, AdmissionRequest request, V1Status? result)
    {
        result ??= new V1Status();
        int code = result.Code is > 0 ? result.Code.Value : 403;
        string name = string.IsNullOrEmpty(request.Name) ? "Unknown" : request.Name;
        string deniedBy = $"admission webhook \"{webhook.Name}\" denied the request";
        string message = !string.IsNullOrEmpty(result.Message) ? $"{deniedBy}: {result.Message}"
            : !string.IsNullOrEmpty(result.Reason) ? $"{deniedBy}: {result.Reason}"
            : $"{deniedBy} without explanation";
        bool internalError = code == 500;
        message = (internalError ? "Internal error occurred" : $"{request.Resource.GroupResource} \"{name}\" is forbidden") + ": " + message;
        var status = new V1Status
        {
            ApiVersion = "v1",
            Kind = "Status",
            Status = "Failure",
            Code = code,
            Message = message,
            Reason = !string.IsNullOrEmpty(result.Reason) ? result.Reason : internalError ? "InternalError" : "Forbidden",
            Details = result.Details ?? (internalError
                ? new V1StatusDetails { Causes = [new V1StatusCause { Message = message }] }
                : new V1StatusDetails { Group = request.Resource.Group, Kind = request.Resource.Plural, Name = name }),
        };
        return new StatusException(status);
    }

    [LoggerMessage(Level = LogLevel.Warning, Message = "Failed evaluating match conditions, failing closed {Webhook}: {Error}")]
    private static partial void LogMatchConditionsFailed(ILogger logger, string webhook, string error);

    [LoggerMessage(Level = LogLevel.Warning, Message = "Failed calling webhook, failing open {Webhook}: {Error}")]
    private static partial void LogFailedOpen(ILogger logger, string webhook, string error);
}
