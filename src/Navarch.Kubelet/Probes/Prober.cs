using System.Globalization;
using System.Net.Security;
using System.Net.Sockets;
using System.Text;
using Grpc.Core;
using Grpc.Net.Client;
using k8s.Models;
using Navarch.Kubelet.Cri.V1;
using Navarch.Kubelet.Probes.Health;
using Navarch.Kubelet.Runtime;

namespace Navarch.Kubelet.Probes;

/// <summary>
/// Runs one probe or lifecycle hook the kubelet's way: exec through CRI ExecSync, httpGet (success 200–399, redirects
/// followed on the same host, a redirect elsewhere counts as success), tcpSocket (a connection), grpc
/// (grpc.health.v1 Health/Check returns SERVING), and the sleep hook.
/// </summary>
internal sealed class Prober(IRuntimeService runtime, TimeProvider time)
{
    private const int MaxRedirects = 10;
    private const int MaxBody = 10 * 1024;

    private static readonly HttpClient Http = new(new SocketsHttpHandler
    {
        AllowAutoRedirect = false,
        UseProxy = false,
        UseCookies = false,
        PooledConnectionLifetime = TimeSpan.Zero,
        // The kubelet's HTTPS probes skip certificate verification: pods serve whatever certificate they have.
#pragma warning disable CA5359
        SslOptions = new SslClientAuthenticationOptions { RemoteCertificateValidationCallback = (_, _, _, _) => true },
#pragma warning restore CA5359
    })
    {
        Timeout = Timeout.InfiniteTimeSpan,
    };

    /// <summary>The User-Agent of probe requests (the kubelet sends kube-probe/MAJOR.MINOR).</summary>
    public const string UserAgent = "kube-probe/1.32";

    /// <summary>Runs <paramref name="probe"/> once within its timeout.</summary>
    public async Task<ProbeOutcome> ProbeAsync(V1Probe probe, ProbeTarget target, CancellationToken cancellationToken)
    {
        TimeSpan timeout = ProbeSettings.Of(probe).Timeout;
        try
        {
            if (probe.Exec is { } exec)
            {
                return await ExecAsync(target.ContainerId, exec.Command ?? [], timeout, cancellationToken).ConfigureAwait(false);
            }

            if (probe.HttpGet is { } http)
            {
                return await HttpGetAsync(http, target, timeout, statusMatters: true, cancellationToken).ConfigureAwait(false);
            }

            if (probe.TcpSocket is { } tcp)
            {
                return await TcpAsync(tcp.Host ?? target.PodIp, Port(tcp.Port, target.Container), timeout, cancellationToken).ConfigureAwait(false);
            }

            if (probe.Grpc is { } grpc)
            {
                return await GrpcAsync(target.PodIp, grpc.Port, grpc.Service, timeout, cancellationToken).ConfigureAwait(false);
            }
        }
        catch (ProbeConfigException e)
        {
            return ProbeOutcome.Failure(e.Message);
        }

        return ProbeOutcome.Failure("missing probe handler");
    }

    /// <summary>
    /// Runs a lifecycle hook. Unlike a probe an exec hook has no timeout (the caller bounds it), and an httpGet hook
    /// fails only when no response comes back.
    /// </summary>
    public async Task<ProbeOutcome> HookAsync(V1LifecycleHandler handler, ProbeTarget target, CancellationToken cancellationToken)
    {
        try
        {
            if (handler.Exec is { } exec)
            {
                return await ExecAsync(target.ContainerId, exec.Command ?? [], TimeSpan.Zero, cancellationToken).ConfigureAwait(false);
            }

            if (handler.HttpGet is { } http)
            {
                return await HttpGetAsync(http, target, Timeout.InfiniteTimeSpan, statusMatters: false, cancellationToken).ConfigureAwait(false);
            }

            if (handler.Sleep is { } sleep)
            {
                await Task.Delay(TimeSpan.FromSeconds(sleep.Seconds), time, cancellationToken).ConfigureAwait(false);
                return ProbeOutcome.Success();
            }

            if (handler.TcpSocket is not null)
            {
                // Deprecated and never run by the kubelet.
                return ProbeOutcome.Success();
            }
        }
        catch (ProbeConfigException e)
        {
            return ProbeOutcome.Failure(e.Message);
        }

        return ProbeOutcome.Failure("missing lifecycle handler");
    }

    private async Task<ProbeOutcome> ExecAsync(string containerId, IList<string> command, TimeSpan timeout, CancellationToken cancellationToken)
    {
        try
        {
            ExecSyncResponse response = await runtime.ExecSyncAsync(containerId, [.. command], timeout, cancellationToken).ConfigureAwait(false);
            string output = response.Stdout.ToStringUtf8() + response.Stderr.ToStringUtf8();
            return response.ExitCode == 0 ? ProbeOutcome.Success(output) : ProbeOutcome.Failure(output.Length > 0 ? output : $"command \"{string.Join(' ', command)}\" exited with {response.ExitCode.ToString(CultureInfo.InvariantCulture)}");
        }
        catch (RpcException e) when (e.StatusCode == StatusCode.DeadlineExceeded || e.Status.Detail.Contains("timeout", StringComparison.OrdinalIgnoreCase))
        {
            return ProbeOutcome.Failure($"command \"{string.Join(' ', command)}\" timed out");
        }
        catch (RpcException e) when (e.StatusCode != StatusCode.Cancelled || !cancellationToken.IsCancellationRequested)
        {
            return ProbeOutcome.Failure(e.Status.Detail);
        }
    }

    private static async Task<ProbeOutcome> HttpGetAsync(V1HTTPGetAction action, ProbeTarget target, TimeSpan timeout, bool statusMatters, CancellationToken cancellationToken)
    {
        string scheme = string.Equals(action.Scheme, "HTTPS", StringComparison.OrdinalIgnoreCase) ? "https" : "http";
        string host = string.IsNullOrEmpty(action.Host) ? target.PodIp ?? throw new ProbeConfigException("the pod has no IP yet") : action.Host;
        int port = Port(action.Port, target.Container);
        string path = string.IsNullOrEmpty(action.Path) ? "/" : action.Path.StartsWith('/') ? action.Path : "/" + action.Path;
        var url = new Uri($"{scheme}://{(host.Contains(':', StringComparison.Ordinal) ? $"[{host}]" : host)}:{port.ToString(CultureInfo.InvariantCulture)}{path}");
        string originalHost = url.Host;

        using var timeoutCts = CancellationTokenSource.CreateLinkedTokenSource(cancellationToken);
        if (timeout != Timeout.InfiniteTimeSpan)
        {
            timeoutCts.CancelAfter(timeout);
        }

        try
        {
            for (int redirects = 0; ; redirects++)
            {
                using HttpRequestMessage request = Request(url, action.HttpHeaders);
                using HttpResponseMessage response = await Http.SendAsync(request, HttpCompletionOption.ResponseHeadersRead, timeoutCts.Token).ConfigureAwait(false);
                string body = await ReadBodyAsync(response, timeoutCts.Token).ConfigureAwait(false);
                int code = (int)response.StatusCode;
                bool redirect = code is >= 300 and < 400 && response.Headers.Location is not null;
                if (redirect && redirects < MaxRedirects)
                {
                    var next = new Uri(url, response.Headers.Location!);
                    if (!string.Equals(next.Host, originalHost, StringComparison.OrdinalIgnoreCase))
                    {
                        // A redirect to another host is not followed; the kubelet reports success with a warning.
                        return ProbeOutcome.Success($"Probe terminated redirects, Response body: {body}");
                    }

                    url = next;
                    continue;
                }

                if (redirect)
                {
                    return ProbeOutcome.Failure($"Get \"{url}\": stopped after {MaxRedirects.ToString(CultureInfo.InvariantCulture)} redirects");
                }

                if (!statusMatters || code is >= 200 and < 400)
                {
                    return ProbeOutcome.Success(body);
                }

                return ProbeOutcome.Failure($"HTTP probe failed with statuscode: {code.ToString(CultureInfo.InvariantCulture)}");
            }
        }
        catch (OperationCanceledException) when (!cancellationToken.IsCancellationRequested)
        {
            return ProbeOutcome.Failure($"Get \"{url}\": context deadline exceeded (Client.Timeout exceeded while awaiting headers)");
        }
        catch (HttpRequestException e)
        {
            return ProbeOutcome.Failure($"Get \"{url}\": {e.Message}");
        }
    }

    private static HttpRequestMessage Request(Uri url, IList<V1HTTPHeader>? headers)
    {
        var request = new HttpRequestMessage(HttpMethod.Get, url);
        request.Headers.ConnectionClose = true;
        bool userAgent = false, accept = false;
        foreach (V1HTTPHeader h in headers ?? [])
        {
            if (string.Equals(h.Name, "Host", StringComparison.OrdinalIgnoreCase))
            {
                request.Headers.Host = h.Value;
                continue;
            }

            userAgent |= string.Equals(h.Name, "User-Agent", StringComparison.OrdinalIgnoreCase);
            accept |= string.Equals(h.Name, "Accept", StringComparison.OrdinalIgnoreCase);
            request.Headers.TryAddWithoutValidation(h.Name, h.Value);
        }

        if (!userAgent)
        {
            request.Headers.TryAddWithoutValidation("User-Agent", UserAgent);
        }

        if (!accept)
        {
            request.Headers.TryAddWithoutValidation("Accept", "*/*");
        }

        return request;
    }

    private static async Task<string> ReadBodyAsync(HttpResponseMessage response, CancellationToken cancellationToken)
    {
        Stream stream = await response.Content.ReadAsStreamAsync(cancellationToken).ConfigureAwait(false);
        await using (stream.ConfigureAwait(false))
        {
            byte[] buffer = new byte[MaxBody];
            int total = 0;
            int read;
            while (total < buffer.Length && (read = await stream.ReadAsync(buffer.AsMemory(total), cancellationToken).ConfigureAwait(false)) > 0)
            {
                total += read;
            }

            return Encoding.UTF8.GetString(buffer, 0, total);
        }
    }

    private static async Task<ProbeOutcome> TcpAsync(string? host, int port, TimeSpan timeout, CancellationToken cancellationToken)
    {
        if (string.IsNullOrEmpty(host))
        {
            return ProbeOutcome.Failure("the pod has no IP yet");
        }

        string address = $"{host}:{port.ToString(CultureInfo.InvariantCulture)}";
        using var timeoutCts = CancellationTokenSource.CreateLinkedTokenSource(cancellationToken);
        timeoutCts.CancelAfter(timeout);
        using var client = new TcpClient();
        try
        {
            await client.ConnectAsync(host, port, timeoutCts.Token).ConfigureAwait(false);
            return ProbeOutcome.Success();
        }
        catch (OperationCanceledException) when (!cancellationToken.IsCancellationRequested)
        {
            return ProbeOutcome.Failure($"dial tcp {address}: i/o timeout");
        }
        catch (SocketException e)
        {
            return ProbeOutcome.Failure($"dial tcp {address}: connect: {e.Message}");
        }
    }

    private async Task<ProbeOutcome> GrpcAsync(string? host, int port, string? service, TimeSpan timeout, CancellationToken cancellationToken)
    {
        if (string.IsNullOrEmpty(host))
        {
            return ProbeOutcome.Failure("the pod has no IP yet");
        }

        string address = $"{(host.Contains(':', StringComparison.Ordinal) ? $"[{host}]" : host)}:{port.ToString(CultureInfo.InvariantCulture)}";
        using GrpcChannel channel = GrpcChannel.ForAddress("http://" + address, new GrpcChannelOptions
        {
            HttpHandler = new SocketsHttpHandler { UseProxy = false, ConnectTimeout = timeout },
            DisposeHttpClient = true,
        });
        var client = new Health.Health.HealthClient(channel);
        try
        {
            HealthCheckResponse response = await client.CheckAsync(
                new HealthCheckRequest { Service = service ?? "" },
                deadline: time.GetUtcNow().UtcDateTime + timeout,
                cancellationToken: cancellationToken).ConfigureAwait(false);
            return response.Status == HealthCheckResponse.Types.ServingStatus.Serving
                ? ProbeOutcome.Success($"status: {response.Status}")
                : ProbeOutcome.Failure($"service unhealthy (responded with \"{StatusName(response.Status)}\")");
        }
        catch (RpcException e) when (e.StatusCode == StatusCode.DeadlineExceeded)
        {
            return ProbeOutcome.Failure($"timeout: health rpc did not complete within {timeout.TotalSeconds.ToString(CultureInfo.InvariantCulture)}s");
        }
        catch (RpcException e) when (e.StatusCode == StatusCode.Unimplemented)
        {
            return ProbeOutcome.Failure("error: this server does not implement the grpc health protocol (grpc.health.v1.Health): " + e.Status.Detail);
        }
        catch (RpcException e) when (e.StatusCode != StatusCode.Cancelled || !cancellationToken.IsCancellationRequested)
        {
            return ProbeOutcome.Failure($"error: health rpc probe failed: {e.Status.Detail}");
        }
    }

    private static string StatusName(HealthCheckResponse.Types.ServingStatus status) => status switch
    {
        HealthCheckResponse.Types.ServingStatus.NotServing => "NOT_SERVING",
        HealthCheckResponse.Types.ServingStatus.ServiceUnknown => "SERVICE_UNKNOWN",
        _ => "UNKNOWN",
    };

    /// <summary>A port by number, or by the name of one of the container's ports.</summary>
    internal static int Port(IntOrString? port, V1Container container)
    {
        string value = port?.Value ?? throw new ProbeConfigException("probe port is missing");
        if (int.TryParse(value, NumberStyles.None, CultureInfo.InvariantCulture, out int number))
        {
            return number is > 0 and <= 65535 ? number : throw new ProbeConfigException($"invalid port number: {value}");
        }

        V1ContainerPort? named = container.Ports?.FirstOrDefault(p => p.Name == value);
        return named?.ContainerPort ?? throw new ProbeConfigException($"unable to find port \"{value}\" in container {container.Name}");
    }
}
