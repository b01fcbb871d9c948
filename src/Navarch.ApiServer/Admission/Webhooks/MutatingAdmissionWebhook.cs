using System.Reflection;
using System.Text.Json.Nodes;
using k8s;
using k8s.Models;
using Navarch.Api;
using Navarch.Api.Patch;
using Navarch.ApiServer.Registry;

namespace Navarch.ApiServer.Admission.Webhooks;

/// <summary>
/// Kubernetes' MutatingAdmissionWebhook plugin: after the built-in mutating plugins and before validation, each
/// matching mutating webhook is called in turn and its JSONPatch applied to the object (then defaulted again, as
/// decoding the patched object does in Kubernetes). A webhook with <c>reinvocationPolicy: IfNeeded</c> is called once
/// more when a later webhook changed the object after its call. On DELETE the webhooks whose rules ask for it are
/// called too (the stored object as oldObject); one that answers with a patch fails the delete, as in Kubernetes.
/// </summary>
internal sealed class MutatingAdmissionWebhook(WebhookSource source, WebhookDispatcher dispatcher) : IAdmissionPlugin
{
    public string Name => "MutatingAdmissionWebhook";

    public bool Mutating => true;

    public async ValueTask AdmitAsync(AdmissionRequest request, CancellationToken cancellationToken)
    {
        IReadOnlyList<Webhook> webhooks = await source.MutatingAsync(cancellationToken);
        if (webhooks.Count == 0)
        {
            return;
        }

        // The object as each IfNeeded webhook left it, to tell whether anything changed it later.
        var seen = new List<(Webhook Webhook, string After)>();
        foreach (Webhook webhook in webhooks)
        {
            if (await CallAsync(webhook, request, cancellationToken) && webhook.ReinvokeIfNeeded)
            {
                seen.Add((webhook, Snapshot(request)));
            }
        }

        foreach ((Webhook webhook, string after) in seen)
        {
            if (Snapshot(request) != after)
            {
                await CallAsync(webhook, request, cancellationToken);
            }
        }
    }

    /// <summary>Calls the webhook if it applies and applies its answer; true when it was called.</summary>
    private async Task<bool> CallAsync(Webhook webhook, AdmissionRequest request, CancellationToken cancellationToken)
    {
        if (await dispatcher.MatchAsync(webhook, request, cancellationToken) is not { } resource)
        {
            return false;
        }

        var versioned = await EquivalentVersions.OfAsync(request, resource, cancellationToken);
        WebhookResponse? response = await dispatcher.CallAsync(webhook, request, resource, "mutating", cancellationToken, versioned);
        if (response is null)
        {
            return true;
        }

        WebhookDispatcher.Record(webhook, response, request);
        if (!response.Allowed)
        {
            throw WebhookDispatcher.Denied(webhook, request, response.Status);
        }

        if (response.Patch is JsonArray { Count: > 0 } && request.Object is null)
        {
            // A DELETE (the one operation with no object) cannot be patched.
            throw ApiErrors.Internal($"admission webhook \"{webhook.Name}\" attempted to modify the object, which is not supported for this operation");
        }

        if (response.Patch is not null && request.Object is { } obj && versioned.Object is { } asMatched)
        {
            if (response.PatchType != "JSONPatch")
            {
                throw ApiErrors.Internal($"unsupported patch type \"{response.PatchType}\"");
            }

            // Patched as the version the webhook saw, then converted back to the request's (matchPolicy Equivalent).
            IKubernetesObject<V1ObjectMeta> patched = Patch(resource, asMatched, response.Patch);
            CopyInto(obj, (await EquivalentVersions.ConvertAsync(patched, resource, request.Resource, cancellationToken))!);
        }

        return true;
    }

    /// <summary>The object with the patch applied, then the defaults of its version (a custom resource's: its schema's).</summary>
    private static IKubernetesObject<V1ObjectMeta> Patch(ResourceDefinition resource, IKubernetesObject<V1ObjectMeta> obj, JsonNode patch)
    {
        IKubernetesObject<V1ObjectMeta> patched;
        try
        {
            patched = ObjectCodec.FromNode(resource, JsonPatch.Apply(ObjectCodec.ToNode(obj), patch) ?? new JsonObject(), strict: false);
        }
        catch (StatusException e)
        {
            throw ApiErrors.Internal(e.Status.Message ?? "the patch could not be applied");
        }

        resource.Strategy.Default(patched);
        return patched;
    }

    /// <summary>The registry holds the request's object: the patched state goes into that instance.</summary>
    private static void CopyInto(IKubernetesObject<V1ObjectMeta> obj, IKubernetesObject<V1ObjectMeta> patched)
    {
        foreach (PropertyInfo property in obj.GetType().GetProperties(BindingFlags.Public | BindingFlags.Instance))
        {
            if (property.CanRead && property.CanWrite && property.GetIndexParameters().Length == 0)
            {
                property.SetValue(obj, property.GetValue(patched));
            }
        }
    }

    private static string Snapshot(AdmissionRequest request) =>
        request.Object is null ? "" : ObjectCodec.ToNode(request.Object).ToJsonString();
}
