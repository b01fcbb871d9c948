using System.Net;
using System.Security.Cryptography;
using System.Text;
using System.Text.RegularExpressions;
using System.Threading.Channels;
using k8s;
using k8s.Models;
using Microsoft.Extensions.Logging;
using Navarch.Api;
using Navarch.Api.Resources;

namespace Navarch.Manifests;

/// <summary>
/// Auto-deploying manifests (k3s's <c>server/manifests</c>): every <c>*.yaml</c>, <c>*.yml</c> and <c>*.json</c> file
/// in the folder is applied at start and again whenever it changes (a FileSystemWatcher, plus a periodic rescan for
/// changes the watcher misses). Each document is created when missing, otherwise replaced with the live object's
/// resourceVersion. Apply-only: removing a file or a document leaves its objects in the cluster (k3s's Addon
/// tracking that deletes them is not built). A document that does not parse or is refused is logged and the rest
/// of the folder is still applied; a file is retried while the API server is unreachable or answers 5xx/409/429.
/// </summary>
internal sealed partial class ManifestApplier(Kubernetes client, string directory, ILogger logger, TimeSpan? rescanInterval = null)
{
    private static readonly string[] Extensions = [".yaml", ".yml", ".json"];
    private readonly Dictionary<string, string> _applied = new(StringComparer.Ordinal);
    private readonly ResourceCatalog _catalog = ResourceCatalog.Default;

    /// <summary>Applies the folder now, then on every change until cancelled.</summary>
    public async Task RunAsync(CancellationToken cancellationToken)
    {
        Directory.CreateDirectory(directory);
        var changed = Channel.CreateBounded<bool>(new BoundedChannelOptions(1) { FullMode = BoundedChannelFullMode.DropWrite });
        using var watcher = new FileSystemWatcher(directory) { IncludeSubdirectories = false, NotifyFilter = NotifyFilters.FileName | NotifyFilters.LastWrite | NotifyFilters.Size };
        void Signal(object? sender, FileSystemEventArgs e) => changed.Writer.TryWrite(true);
        watcher.Changed += Signal;
        watcher.Created += Signal;
        watcher.Renamed += (s, e) => Signal(s, e);
        watcher.EnableRaisingEvents = true;
        TimeSpan interval = rescanInterval ?? TimeSpan.FromSeconds(30);
        while (!cancellationToken.IsCancellationRequested)
        {
            try
            {
                await ApplyChangedAsync(cancellationToken);
                using var wait = CancellationTokenSource.CreateLinkedTokenSource(cancellationToken);
                wait.CancelAfter(interval);
                try
                {
                    await changed.Reader.ReadAsync(wait.Token);

                    // Editors write a file in several steps; apply once they are done.
                    await Task.Delay(TimeSpan.FromMilliseconds(300), cancellationToken);
                    changed.Reader.TryRead(out _);
                }
                catch (OperationCanceledException) when (!cancellationToken.IsCancellationRequested)
                {
                }
            }
            catch (OperationCanceledException) when (cancellationToken.IsCancellationRequested)
            {
            }
        }
    }

    /// <summary>Applies every file whose content changed since it was last applied; returns the files applied.</summary>
    public async Task<int> ApplyChangedAsync(CancellationToken cancellationToken)
    {
        int count = 0;
        foreach (string file in Directory.EnumerateFiles(directory).Where(f => Extensions.Contains(Path.GetExtension(f), StringComparer.OrdinalIgnoreCase)).Order(StringComparer.Ordinal))
        {
            string text;
            try
            {
                text = await File.ReadAllTextAsync(file, cancellationToken);
            }
            catch (IOException e)
            {
                LogUnreadable(logger, file, e.Message);
                continue;
            }

            string hash = Convert.ToHexString(SHA256.HashData(Encoding.UTF8.GetBytes(text)));
            if (_applied.TryGetValue(file, out string? done) && done == hash)
            {
                continue;
            }

            if (await ApplyFileAsync(file, text, cancellationToken))
            {
                _applied[file] = hash;
            }

            count++;
        }

        return count;
    }

    /// <summary>Applies each document; false when one failed in a way worth retrying.</summary>
    private async Task<bool> ApplyFileAsync(string file, string text, CancellationToken cancellationToken)
    {
        bool settled = true;
        int index = 0;
        foreach (string document in DocumentSeparator().Split(text))
        {
            index++;
            if (string.IsNullOrWhiteSpace(StripComments(document)))
            {
                continue;
            }

            List<object> objects;
            try
            {
                objects = KubernetesYaml.LoadAllFromString(document);
            }
            catch (Exception e) when (e is YamlDotNet.Core.YamlException or InvalidOperationException or ArgumentException or FormatException)
            {
                LogInvalid(logger, file, index, e.Message);
                continue;
            }

            foreach (IKubernetesObject<V1ObjectMeta> obj in objects.OfType<IKubernetesObject<V1ObjectMeta>>())
            {
                try
                {
                    await ApplyAsync(obj, cancellationToken);
                    LogApplied(logger, obj.Kind, obj.Metadata?.NamespaceProperty ?? "", obj.Metadata?.Name ?? "", file);
                }
                catch (ApplyException e)
                {
                    LogRefused(logger, file, index, e.Message);
                    settled &= !e.Retry;
                }
                catch (HttpRequestException e)
                {
                    LogRefused(logger, file, index, e.Message);
                    settled = false;
                }
            }
        }

        return settled;
    }

    private async Task ApplyAsync(IKubernetesObject<V1ObjectMeta> obj, CancellationToken cancellationToken)
    {
        ResourceDefinition definition = _catalog.Find(obj.GetType()) ?? throw new ApplyException($"{obj.ApiVersion}/{obj.Kind} is not served", retry: false);
        string name = obj.Metadata?.Name is { Length: > 0 } n ? n : throw new ApplyException($"{obj.Kind} without metadata.name", retry: false);
        string collection = (definition.Group.Length == 0 ? "api/v1" : $"apis/{definition.Group}/{definition.Version}")
            + (definition.Namespaced ? $"/namespaces/{(obj.Metadata.NamespaceProperty is { Length: > 0 } ns ? ns : "default")}" : "")
            + "/" + definition.Plural;
        if (definition.Namespaced && string.IsNullOrEmpty(obj.Metadata.NamespaceProperty))
        {
            obj.Metadata.NamespaceProperty = "default";
        }

        for (int attempt = 0; ; attempt++)
        {
            using HttpResponseMessage live = await SendAsync(HttpMethod.Get, $"{collection}/{name}", null, cancellationToken);
            HttpResponseMessage written;
            if (live.StatusCode == HttpStatusCode.NotFound)
            {
                obj.Metadata.ResourceVersion = null;
                written = await SendAsync(HttpMethod.Post, collection, obj, cancellationToken);
            }
            else
            {
                await EnsureAsync(live, retry: true, cancellationToken);
                var current = System.Text.Json.Nodes.JsonNode.Parse(await live.Content.ReadAsStringAsync(cancellationToken));
                obj.Metadata.ResourceVersion = current?["metadata"]?["resourceVersion"]?.GetValue<string>();
                written = await SendAsync(HttpMethod.Put, $"{collection}/{name}", obj, cancellationToken);
            }

            using (written)
            {
                if (written.StatusCode is HttpStatusCode.Conflict && attempt < 3)
                {
                    continue;
                }

                await EnsureAsync(written, retry: (int)written.StatusCode >= 500 || written.StatusCode is HttpStatusCode.Conflict or HttpStatusCode.TooManyRequests, cancellationToken);
                return;
            }
        }
    }

    private async Task<HttpResponseMessage> SendAsync(HttpMethod method, string path, object? body, CancellationToken cancellationToken)
    {
        using var request = new HttpRequestMessage(method, new Uri(client.BaseUri, path));
        if (body is not null)
        {
            request.Content = new StringContent(KubernetesJson.Serialize(body), Encoding.UTF8, "application/json");
        }

        return await client.HttpClient.SendAsync(request, cancellationToken);
    }

    private static async Task EnsureAsync(HttpResponseMessage response, bool retry, CancellationToken cancellationToken)
    {
        if (!response.IsSuccessStatusCode)
        {
            string body = await response.Content.ReadAsStringAsync(cancellationToken);
            string message = body;
            try
            {
                message = KubernetesJson.Deserialize<V1Status>(body).Message ?? body;
            }
            catch (System.Text.Json.JsonException)
            {
            }

            throw new ApplyException($"{(int)response.StatusCode}: {message}", retry || (int)response.StatusCode >= 500);
        }
    }

    private static string StripComments(string document) =>
        string.Join('\n', document.Split('\n').Where(line => !line.TrimStart().StartsWith('#')));

    [GeneratedRegex("^---[ \\t]*$", RegexOptions.Multiline)]
    private static partial Regex DocumentSeparator();

    [LoggerMessage(Level = LogLevel.Information, Message = "Applied {Kind} {Namespace}/{Name} from {File}")]
    private static partial void LogApplied(ILogger logger, string kind, string @namespace, string name, string file);

    [LoggerMessage(Level = LogLevel.Error, Message = "Manifest {File} document {Index} is not valid: {Error}")]
    private static partial void LogInvalid(ILogger logger, string file, int index, string error);

    [LoggerMessage(Level = LogLevel.Error, Message = "Manifest {File} document {Index} was not applied: {Error}")]
    private static partial void LogRefused(ILogger logger, string file, int index, string error);

    [LoggerMessage(Level = LogLevel.Warning, Message = "Manifest {File} cannot be read: {Error}")]
    private static partial void LogUnreadable(ILogger logger, string file, string error);
}
