using System.Globalization;
using k8s.Models;
using Microsoft.AspNetCore.Http;
using Navarch.Kubelet.Cri.V1;
using Navarch.Kubelet.Server.Spdy;

namespace Navarch.Kubelet.Server;

public sealed partial class KubeletServer
{
    /// <summary><c>/exec/{ns}/{pod}/{container}?command=...&amp;stdin&amp;stdout&amp;stderr&amp;tty</c>: CRI Exec, then the stream.</summary>
    private async Task ExecAsync(HttpContext context, string ns, string podName, string container)
    {
        IQueryCollection query = context.Request.Query;
        string[] command = [.. query["command"].Select(c => c ?? "")];
        if (command.Length == 0)
        {
            throw KubeletRequestException.BadRequest("you must specify at least one command for the container");
        }

        StreamFlags flags = StreamFlags.Parse(query);
        string id = await RunningContainerAsync(ns, podName, container, context.RequestAborted).ConfigureAwait(false);
        var request = new ExecRequest { ContainerId = id, Tty = flags.Tty, Stdin = flags.Stdin, Stdout = flags.Stdout, Stderr = flags.Stderr && !flags.Tty };
        request.Cmd.Add(command);
        ExecResponse response = await _runtimeService.ExecAsync(request, context.RequestAborted).ConfigureAwait(false);
        await StreamAsync(context, new Uri(response.Url), flags).ConfigureAwait(false);
    }

    /// <summary><c>/attach/{ns}/{pod}/{container}</c>: CRI Attach to the container's main process, then the stream.</summary>
    private async Task AttachAsync(HttpContext context, string ns, string podName, string container)
    {
        StreamFlags flags = StreamFlags.Parse(context.Request.Query);
        string id = await RunningContainerAsync(ns, podName, container, context.RequestAborted).ConfigureAwait(false);
        var request = new AttachRequest { ContainerId = id, Tty = flags.Tty, Stdin = flags.Stdin, Stdout = flags.Stdout, Stderr = flags.Stderr && !flags.Tty };
        AttachResponse response = await _runtimeService.AttachAsync(request, context.RequestAborted).ConfigureAwait(false);
        await StreamAsync(context, new Uri(response.Url), flags).ConfigureAwait(false);
    }

    /// <summary><c>/portForward/{ns}/{pod}</c>: CRI PortForward into the pod's sandbox, then the stream (ports travel per stream).</summary>
    private async Task PortForwardAsync(HttpContext context, string ns, string podName)
    {
        V1Pod pod = FindPod(ns, podName);
        string sandbox = await _runtime.SandboxAsync(pod.Metadata.Uid, context.RequestAborted).ConfigureAwait(false)
            ?? throw KubeletRequestException.BadRequest($"pod \"{podName}\" has no running sandbox");
        var request = new PortForwardRequest { PodSandboxId = sandbox };
        foreach (string? port in context.Request.Query["port"].Concat(context.Request.Query["ports"]))
        {
            foreach (string p in (port ?? "").Split(',', StringSplitOptions.RemoveEmptyEntries))
            {
                request.Port.Add(int.TryParse(p, NumberStyles.None, CultureInfo.InvariantCulture, out int n) && n is > 0 and < 65536
                    ? n
                    : throw KubeletRequestException.BadRequest($"invalid port \"{p}\""));
            }
        }

        PortForwardResponse response = await _runtimeService.PortForwardAsync(request, context.RequestAborted).ConfigureAwait(false);
        if (StreamTranslator.Offers(context, StreamTranslator.PortForwardTunnel))
        {
            await TranslateAsync(context, () => StreamTranslator.PortForwardTunnelAsync(context, new Uri(response.Url))).ConfigureAwait(false);
            return;
        }

        await _streams!.ForwardAsync(context, new Uri(response.Url)).ConfigureAwait(false);
    }

    /// <summary>
    /// Exec and attach streams: kubectl's v5 WebSocket is translated to SPDY here; anything else (SPDY, older
    /// WebSocket protocols) is negotiated with the runtime's streaming server directly.
    /// </summary>
    private async Task StreamAsync(HttpContext context, Uri url, StreamFlags flags)
    {
        if (StreamTranslator.Offers(context, StreamTranslator.RemoteCommandV5))
        {
            await TranslateAsync(context, () => StreamTranslator.RemoteCommandAsync(context, url, flags)).ConfigureAwait(false);
            return;
        }

        await _streams!.ForwardAsync(context, url).ConfigureAwait(false);
    }

    private async Task TranslateAsync(HttpContext context, Func<Task> serve)
    {
        try
        {
            await serve().ConfigureAwait(false);
        }
        catch (Exception e) when (!context.Response.HasStarted && e is IOException or System.Net.Sockets.SocketException or NotSupportedException)
        {
            throw new KubeletRequestException(System.Net.HttpStatusCode.BadGateway, "InternalError", $"error reaching the runtime's streaming server: {e.Message}");
        }
        catch (Exception e) when (e is not OperationCanceledException)
        {
            LogStreamFailed(_logger, context.Request.Path, e);
            throw;
        }
    }

    private async Task<string> RunningContainerAsync(string ns, string podName, string container, CancellationToken cancellationToken)
    {
        V1Pod pod = FindPod(ns, podName);
        IReadOnlyList<Container> runs = await _runtime.ContainersAsync(pod.Metadata.Uid, container, cancellationToken).ConfigureAwait(false);
        Container? current = runs.Count > 0 ? runs[0] : null;
        return current?.State == ContainerState.ContainerRunning
            ? current.Id
            : throw KubeletRequestException.BadRequest($"container \"{container}\" in pod \"{podName}\" is not running");
    }
}
