using System.Net;
using k8s;
using k8s.Autorest;
using k8s.Models;
using Navarch.Client.Queue;

namespace Navarch.Controllers;

/// <summary>The last step of a sync: write the computed status through the status subresource, only when it changed.</summary>
internal static class StatusWrites
{
    /// <summary>
    /// Writes <paramref name="status"/> on a copy of <paramref name="cached"/> unless it equals
    /// <paramref name="current"/>. A conflict means the informer will bring a newer version: the key is re-queued,
    /// rate-limited. With <paramref name="goneIsDone"/>, an object deleted meanwhile ends the sync quietly.
    /// </summary>
    public static async Task WriteAsync<T, TStatus>(
        T cached, TStatus status, TStatus? current, Action<T, TStatus> setStatus, Func<T, Task> replace, WorkQueue<string> queue, string key, bool goneIsDone = false)
        where T : class, IKubernetesObject<V1ObjectMeta>
    {
        if (Navarch.Api.KubernetesSerialization.JsonEquals(status, current))
        {
            return;
        }

        T copy = ModelCopies.Copy(cached);
        setStatus(copy, status);
        try
        {
            await replace(copy).ConfigureAwait(false);
        }
        catch (HttpOperationException e) when (e.Response.StatusCode == HttpStatusCode.Conflict)
        {
            queue.AddRateLimited(key);
        }
        catch (HttpOperationException e) when (goneIsDone && e.Response.StatusCode == HttpStatusCode.NotFound)
        {
        }
    }
}
