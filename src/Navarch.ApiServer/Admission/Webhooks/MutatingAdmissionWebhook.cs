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
/// more when a later webhook changed the object after its call.
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

        WebhookResponse? response = await dispatcher.CallAsync(webhook, request, resource, "mutating", cancellationToken);
        if (response is null)
        {
            return true;
        }

        WebhookDispatcher.Record(webhook, response, request);
        if (!response.Allowed)
        {
            throw WebhookDispatcher.Denied(webhook, request, response.Status);
        }

        if (response.Patch is not null && request.Object is { } obj)
        {
            if (response.PatchType != "JSONPatch")
            {
                throw ApiErrors.Internal($"unsupported patch type \"{response.PatchType}\"");
            }

            Apply(request.Resource, obj, response.Patch);
        }

        return true;
    }

    /// <summary>Applies the patch to the object in place (the registry holds this instance), then Kubernetes' defaults.</summary>
    private static void Apply(ResourceDefinition resource, IKubernetesObject<V1ObjectMeta> obj, JsonNode patch)
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
