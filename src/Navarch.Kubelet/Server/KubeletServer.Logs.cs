using k8s.Models;
using Microsoft.AspNetCore.Http;
using Navarch.Kubelet.Cri.V1;

namespace Navarch.Kubelet.Server;

public sealed partial class KubeletServer
{
    /// <summary>
    /// <c>/containerLogs/{ns}/{pod}/{container}</c>: the CRI log file of the container's current run (or, with
    /// <c>previous</c>, of the run before), filtered and followed by <see cref="ContainerLogCopier"/>.
    /// </summary>
    private async Task ContainerLogsAsync(HttpContext context, string ns, string podName, string container)
    {
        ContainerLogOptions options;
        try
        {
            options = ContainerLogOptions.Parse(context.Request.Query, _time.GetUtcNow());
        }
        catch (FormatException e)
        {
            throw KubeletRequestException.BadRequest(e.Message);
        }

        V1Pod pod = FindPod(ns, podName);
        IReadOnlyList<Container> runs = await _runtime.ContainersAsync(pod.Metadata.Uid, container, context.RequestAborted).ConfigureAwait(false);
        Container? run = runs.Count > (options.Previous ? 1 : 0) ? runs[options.Previous ? 1 : 0] : null;
        if (run is null)
        {
            throw KubeletRequestException.BadRequest(options.Previous
                ? $"previous terminated container \"{container}\" in pod \"{podName}\" not found"
                : $"container \"{container}\" in pod \"{podName}\" is waiting to start: ContainerCreating");
        }

        ContainerStatus? status = await _runtime.StatusAsync(run.Id, context.RequestAborted).ConfigureAwait(false);
        if (status is null || string.IsNullOrEmpty(status.LogPath) || !File.Exists(status.LogPath))
        {
            throw KubeletRequestException.BadRequest($"container \"{container}\" in pod \"{podName}\" has no log yet");
        }

        context.Response.ContentType = "text/plain";
        context.Response.Headers.CacheControl = "no-cache";
        await context.Response.StartAsync(context.RequestAborted).ConfigureAwait(false);
        var copier = new ContainerLogCopier(options, _time);
        await copier.CopyAsync(status.LogPath, context.Response.Body, async ct =>
        {
            ContainerStatus? now = await _runtime.StatusAsync(run.Id, ct).ConfigureAwait(false);
            return now?.State == ContainerState.ContainerRunning;
        }, context.RequestAborted).ConfigureAwait(false);
    }
}
