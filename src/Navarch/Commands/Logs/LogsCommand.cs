using System.CommandLine;
using System.Globalization;
using System.Text;
using System.Text.Json;
using k8s;
using Navarch.Api.Logging;
using Navarch.Client;

namespace Navarch.Commands.Logs;

/// <summary>
/// <c>navarch logs [POD] [-n NS | -A] [-l SELECTOR] [-c CONTAINER] [--node NODE] [--since 5m | --since-time T]
/// [--tail N] [-f] [--timestamps]</c>: the central log store's lines (logging.navarch.io containerlogs), pods deleted
/// long ago included, read with an admin kubeconfig. Without a pod the lines are prefixed <c>[pod/NAME/CONTAINER]</c>. Errors are one line on standard error, exit code 1.
/// </summary>
internal static class LogsCommand
{
    public static Command Create(TextWriter output, TextWriter error)
    {
        var pod = new Argument<string?>("POD") { Description = "The pod (its name; deleted pods too); all pods when omitted", Arity = ArgumentArity.ZeroOrOne };
        var ns = new Option<string?>("--namespace", "-n") { Description = "The namespace (default: the kubeconfig context's, else default)" };
        var all = new Option<bool>("--all-namespaces", "-A") { Description = "Every namespace" };
        var selector = new Option<string?>("--selector", "-l") { Description = "Only pods with these labels (kubectl's label selector syntax, e.g. app=web,tier!=db)" };
        var container = new Option<string?>("--container", "-c") { Description = "Only this container" };
        var node = new Option<string?>("--node") { Description = "Only containers that ran on this node" };
        var since = new Option<string?>("--since") { Description = "Only lines newer than this (a Go duration: 30s, 5m, 2h)" };
        var sinceTime = new Option<string?>("--since-time") { Description = "Only lines at or after this RFC 3339 time" };
        var tail = new Option<string>("--tail") { Description = "Only the last N lines (-1: all)", DefaultValueFactory = _ => "-1" };
        var follow = new Option<bool>("--follow", "-f") { Description = "Go on printing lines as they are shipped" };
        var timestamps = new Option<bool>("--timestamps") { Description = "Print each line's time first" };
        var kubeconfig = new Option<string?>("--kubeconfig") { Description = $"Kubeconfig (default: $KUBECONFIG, {KubectlCommand.DefaultKubeconfig}, then {KubectlCommand.DataDirKubeconfig})" };
        var command = new Command("logs", "Print container logs from the cluster's central log store, pods already deleted included.")
        {
            pod, ns, all, selector, container, node, since, sinceTime, tail, follow, timestamps, kubeconfig,
        };
        command.SetAction(async (parse, cancellationToken) =>
        {
            try
            {
                var query = new List<string>();
                var fields = new List<string>();
                string? podName = parse.GetValue(pod);
                bool everywhere = parse.GetValue(all);
                if (everywhere && (podName is not null || parse.GetValue(ns) is not null))
                {
                    throw new FormatException("a pod or --namespace cannot be given with --all-namespaces");
                }

                if (parse.GetValue(since) is not null && parse.GetValue(sinceTime) is not null)
                {
                    throw new FormatException("at most one of --since or --since-time may be given");
                }

                if (parse.GetValue(since) is { } duration)
                {
                    TimeSpan span = Token.GoDuration.Parse(duration);
                    query.Add("sinceSeconds=" + Math.Max(1, (long)Math.Ceiling(span.TotalSeconds)).ToString(CultureInfo.InvariantCulture));
                }

                if (parse.GetValue(sinceTime) is { } at)
                {
                    if (!LogTime.TryParse(at, out _))
                    {
                        throw new FormatException($"invalid --since-time \"{at}\" (an RFC 3339 time, e.g. 2026-12-07T10:00:00Z)");
                    }

                    query.Add("sinceTime=" + Uri.EscapeDataString(at));
                }

                string tailText = parse.GetValue(tail)!;
                if (!long.TryParse(tailText, NumberStyles.AllowLeadingSign, CultureInfo.InvariantCulture, out long tailLines) || tailLines < -1)
                {
                    throw new FormatException($"invalid --tail \"{tailText}\" (a number of lines, or -1 for all)");
                }

                if (tailLines >= 0)
                {
                    query.Add("tailLines=" + tailLines.ToString(CultureInfo.InvariantCulture));
                }

                if (podName is not null)
                {
                    fields.Add("metadata.name=" + podName);
                }

                if (parse.GetValue(container) is { } c)
                {
                    fields.Add("container=" + c);
                }

                if (parse.GetValue(node) is { } n)
                {
                    fields.Add("node=" + n);
                }

                if (fields.Count > 0)
                {
                    query.Add("fieldSelector=" + Uri.EscapeDataString(string.Join(",", fields)));
                }

                if (parse.GetValue(selector) is { } labels)
                {
                    query.Add("labelSelector=" + Uri.EscapeDataString(labels));
                }

                bool following = parse.GetValue(follow);
                if (following)
                {
                    query.Add("follow=true");
                }

                KubernetesClientConfiguration config = KubernetesClientConfiguration.BuildConfigFromConfigFile(KubeconfigPath(parse.GetValue(kubeconfig)));
                string? namespaceName = everywhere ? null : parse.GetValue(ns) ?? (string.IsNullOrEmpty(config.Namespace) ? "default" : config.Namespace);
                using var client = new Kubernetes(config);
                string path = "/apis/logging.navarch.io/v1" + (namespaceName is null ? "" : $"/namespaces/{Uri.EscapeDataString(namespaceName)}") + "/containerlogs"
                    + (query.Count > 0 ? "?" + string.Join("&", query) : "");
                // Lines of several pods say whose they are (kubectl logs --prefix's form); one pod's need not.
                bool prefix = podName is null;
                int printed = await PrintAsync(new RawApi(client), path, output, prefix, everywhere, parse.GetValue(timestamps), following, cancellationToken);
                if (printed == 0 && podName is not null && !following && tailLines != 0 && parse.GetValue(since) is null && parse.GetValue(sinceTime) is null)
                {
                    throw new FormatException($"no logs of pod \"{podName}\" in namespace \"{namespaceName}\" in the central log store");
                }

                return 0;
            }
            catch (OperationCanceledException) when (cancellationToken.IsCancellationRequested)
            {
                return 0;
            }
            catch (Exception e) when (e is FormatException or ApiException or HttpRequestException or IOException or k8s.Exceptions.KubeConfigException or JsonException)
            {
                string message = e is ApiException api ? StatusMessage(api) : e.Message;
                await error.WriteLineAsync($"navarch logs: {message}");
                return 1;
            }
        });
        return command;
    }

    /// <summary>Streams the answer (one ContainerLog per line) to <paramref name="output"/>; returns the lines printed.</summary>
    private static async Task<int> PrintAsync(RawApi api, string path, TextWriter output, bool prefix, bool withNamespace, bool timestamps, bool follow, CancellationToken cancellationToken)
    {
        using var request = new HttpRequestMessage(HttpMethod.Get, new Uri(path, UriKind.Relative));
        // One ContainerLog per line, whether following or not: printed as it arrives.
        request.Headers.Accept.ParseAdd("application/x-ndjson");
        using HttpResponseMessage response = await api.SendAsync(request, HttpCompletionOption.ResponseHeadersRead, cancellationToken);
        await RawApi.EnsureSuccessAsync(response, cancellationToken);
        using var reader = new StreamReader(await response.Content.ReadAsStreamAsync(cancellationToken), Encoding.UTF8);
        int printed = 0;
        while (await reader.ReadLineAsync(cancellationToken) is { } line)
        {
            if (line.Length == 0)
            {
                continue;
            }

            V1ContainerLog log = JsonSerializer.Deserialize<V1ContainerLog>(line)!;
            var text = new StringBuilder();
            if (prefix)
            {
                text.Append('[');
                if (withNamespace)
                {
                    text.Append(log.Metadata.NamespaceProperty).Append('/');
                }

                text.Append("pod/").Append(log.Metadata.Name).Append('/').Append(log.Container).Append("] ");
            }

            if (timestamps)
            {
                text.Append(log.Time).Append(' ');
            }

            text.Append(log.Message);
            await output.WriteLineAsync(text.ToString());
            if (++printed % 256 == 0 || follow)
            {
                await output.FlushAsync(cancellationToken);
            }
        }

        await output.FlushAsync(cancellationToken);
        return printed;
    }

    private static string KubeconfigPath(string? given)
    {
        if (!string.IsNullOrEmpty(given))
        {
            return given;
        }

        return new[] { Environment.GetEnvironmentVariable("KUBECONFIG"), KubectlCommand.DefaultKubeconfig, KubectlCommand.DataDirKubeconfig }
            .FirstOrDefault(p => !string.IsNullOrEmpty(p) && File.Exists(p))
            ?? throw new FileNotFoundException($"no kubeconfig: pass --kubeconfig (looked at $KUBECONFIG, {KubectlCommand.DefaultKubeconfig}, {KubectlCommand.DataDirKubeconfig})");
    }

    private static string StatusMessage(ApiException e)
    {
        string body = e.Message[(e.Message.IndexOf(':', StringComparison.Ordinal) + 1)..].Trim();
        try
        {
            return JsonDocument.Parse(body).RootElement.GetProperty("message").GetString() ?? body;
        }
        catch (Exception parse) when (parse is JsonException or KeyNotFoundException or InvalidOperationException)
        {
            return body;
        }
    }
}
