using k8s;
using k8s.Models;
using Navarch.Client.Events;

namespace Navarch.Controllers;

/// <summary>
/// The Events workload controllers record on their owner when they create or delete its pods, worded as
/// Kubernetes' pod control words them (what <c>kubectl describe</c> shows under Events).
/// </summary>
internal static class PodEvents
{
    public static void Created(EventRecorder events, IKubernetesObject<V1ObjectMeta> owner, V1Pod pod) =>
        events.Event(owner, "Normal", "SuccessfulCreate", $"Created pod: {pod.Metadata.Name}");

    public static void CreateFailed(EventRecorder events, IKubernetesObject<V1ObjectMeta> owner, string error) =>
        events.Event(owner, "Warning", "FailedCreate", $"Error creating: {error}");

    public static void Deleted(EventRecorder events, IKubernetesObject<V1ObjectMeta> owner, V1Pod pod) =>
        events.Event(owner, "Normal", "SuccessfulDelete", $"Deleted pod: {pod.Metadata.Name}");

    /// <summary>The message of a failed API call: the Status message when the body is one, else the body.</summary>
    public static string ErrorOf(k8s.Autorest.HttpOperationException e)
    {
        try
        {
            return KubernetesJson.Deserialize<V1Status>(e.Response.Content)?.Message ?? e.Response.Content;
        }
        catch (System.Text.Json.JsonException)
        {
            return e.Response.Content;
        }
    }
}
