using System.Net;
using k8s;
using k8s.Autorest;
using k8s.Models;
using Navarch.Client.Queue;

namespace Navarch.Controllers;

/// <summary>The last step of a sync: write the computed status through the status subresource, only when it changed.</summary>
internal static class StatusWrites
{
    /// <summary>How often a status that cannot be computed again is written over a freshly read object on conflict.</summary>
    private const int ConflictRetries = 5;

    /// <summary>
    /// Writes <paramref name="status"/> on a copy of <paramref name="cached"/> unless it equals
    /// <paramref name="current"/>. A conflict means the informer will bring a newer version: the key is re-queued,
    /// rate-limited. With <paramref name="goneIsDone"/>, an object deleted meanwhile ends the sync quietly.
    /// With <paramref name="reread"/>, the status holds what the next sync could not observe again (a Job's counts of
    /// pods it has just deleted): on a conflict the object is read afresh and the status written over it, as
    /// kube-controller-manager's job controller does, a few times before falling back to the re-queue; a reread that
    /// answers null (the object moved on so that this status no longer applies) ends the write.
    /// </summary>
    public static async Task WriteAsync<T, TStatus>(
        T cached, TStatus status, TStatus? current, Action<T, TStatus> setStatus, Func<T, Task> replace, WorkQueue<string> queue, string key,
        bool goneIsDone = false, Func<Task<T?>>? reread = null)
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
            for (int attempt = 0; ; attempt++)
            {
                try
                {
                    await replace(copy).ConfigureAwait(false);
                    return;
                }
                catch (HttpOperationException e) when (e.Response.StatusCode == HttpStatusCode.Conflict && reread is not null && attempt < ConflictRetries)
                {
                    if (await reread().ConfigureAwait(false) is not { } fresh)
                    {
                        return;
                    }

                    copy = fresh;
                    setStatus(copy, status);
                }
            }
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
