using System.Globalization;
using System.Security.Cryptography;
using System.Threading.Channels;
using k8s;
using k8s.Autorest;
using k8s.Models;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Logging.Abstractions;
using Navarch.Client.Informers;
using Navarch.Client.Queue;

namespace Navarch.Client.Events;

/// <summary>
/// Records core/v1 Events for objects, as client-go's recorder and event correlator do: callers never wait (a
/// bounded queue, dropped with a log line when full); a repeat of the same event for the same object within 10
/// minutes patches the existing Event's count and lastTimestamp instead of creating another; each object may emit a
/// burst of 25 events, then one every 5 minutes (the correlator's spam filter).
/// </summary>
public sealed partial class EventRecorder : IAsyncDisposable
{
    private static readonly TimeSpan AggregationWindow = TimeSpan.FromMinutes(10);

    private readonly IKubernetes _client;
    private readonly string _component;
    private readonly string _instance;
    private readonly TimeProvider _time;
    private readonly ILogger _logger;
    private readonly Channel<Corev1Event> _queue;
    private readonly Dictionary<string, (string Name, string Namespace, int Count, DateTimeOffset Last)> _seen = new(StringComparer.Ordinal);
    private readonly Dictionary<string, TokenBucketRateLimiter<string>> _spam = new(StringComparer.Ordinal);
    private readonly CancellationTokenSource _stop = new();
    private readonly Task _loop;

    /// <summary>Starts a recorder writing as <paramref name="component"/> (e.g. "deployment-controller").</summary>
    public EventRecorder(IKubernetes client, string component, string? instance = null, TimeProvider? time = null, ILogger? logger = null, int capacity = 1000)
    {
        _client = client;
        _component = component;
        _instance = instance ?? Environment.MachineName;
        _time = time ?? TimeProvider.System;
        _logger = logger ?? NullLogger.Instance;
        _queue = Channel.CreateBounded<Corev1Event>(new BoundedChannelOptions(capacity) { FullMode = BoundedChannelFullMode.DropWrite, SingleReader = true });
        _loop = Task.Run(() => WriteLoopAsync(_stop.Token));
    }

    /// <summary>Records an event of <paramref name="type"/> ("Normal" or "Warning") about <paramref name="involved"/>. Never blocks.</summary>
    public void Event(IKubernetesObject<V1ObjectMeta> involved, string type, string reason, string message)
    {
        ArgumentNullException.ThrowIfNull(involved);
        DateTime now = _time.GetUtcNow().UtcDateTime;
        var e = new Corev1Event
        {
            ApiVersion = "v1",
            Kind = "Event",
            Metadata = new V1ObjectMeta { NamespaceProperty = string.IsNullOrEmpty(involved.Metadata.NamespaceProperty) ? "default" : involved.Metadata.NamespaceProperty },
            InvolvedObject = new V1ObjectReference
            {
                ApiVersion = involved.ApiVersion,
                Kind = involved.Kind,
                Name = involved.Metadata.Name,
                NamespaceProperty = involved.Metadata.NamespaceProperty,
                Uid = involved.Metadata.Uid,
                ResourceVersion = involved.Metadata.ResourceVersion,
            },
            Type = type,
            Reason = reason,
            Message = message,
            Source = new V1EventSource { Component = _component },
            ReportingComponent = _component,
            ReportingInstance = _instance,
            FirstTimestamp = now,
            LastTimestamp = now,
            Count = 1,
        };
        if (!_queue.Writer.TryWrite(e))
        {
            LogDropped(_logger, reason, ObjectKeys.KeyOf(involved));
        }
    }

    private async Task WriteLoopAsync(CancellationToken cancellationToken)
    {
        try
        {
            await foreach (Corev1Event e in _queue.Reader.ReadAllAsync(cancellationToken).ConfigureAwait(false))
            {
                try
                {
                    await WriteAsync(e, cancellationToken).ConfigureAwait(false);
                }
                catch (Exception ex) when (ex is HttpOperationException or HttpRequestException)
                {
                    LogFailed(_logger, e.Reason, ex.Message);
                }
            }
        }
        catch (OperationCanceledException) when (cancellationToken.IsCancellationRequested)
        {
        }
    }

    private async Task WriteAsync(Corev1Event e, CancellationToken cancellationToken)
    {
        V1ObjectReference o = e.InvolvedObject;
        string objectKey = $"{o.Kind}/{o.NamespaceProperty}/{o.Name}/{o.Uid}";
        string key = $"{objectKey}/{e.Type}/{e.Reason}/{e.Message}";
        DateTimeOffset now = _time.GetUtcNow();
        if (_seen.TryGetValue(key, out var seen) && now - seen.Last < AggregationWindow)
        {
            int count = seen.Count + 1;
            string patch = $"{{\"count\":{count.ToString(CultureInfo.InvariantCulture)},\"lastTimestamp\":\"{now.UtcDateTime:yyyy-MM-ddTHH:mm:ssZ}\"}}";
            try
            {
                await _client.CoreV1.PatchNamespacedEventAsync(new V1Patch(patch, V1Patch.PatchType.MergePatch), seen.Name, seen.Namespace, cancellationToken: cancellationToken).ConfigureAwait(false);
                _seen[key] = (seen.Name, seen.Namespace, count, now);
                return;
            }
            catch (HttpOperationException ex) when (ex.Response.StatusCode == System.Net.HttpStatusCode.NotFound)
            {
                // The Event expired (events live an hour); record it anew.
            }
        }

        if (!_spam.TryGetValue(objectKey, out TokenBucketRateLimiter<string>? bucket))
        {
            _spam[objectKey] = bucket = new TokenBucketRateLimiter<string>(1.0 / 300, 25, _time);
        }

        if (bucket.When(objectKey) > TimeSpan.Zero)
        {
            LogDropped(_logger, e.Reason, objectKey);
            return;
        }

        e.Metadata.Name = $"{o.Name}.{Convert.ToHexStringLower(RandomNumberGenerator.GetBytes(8))}";
        Corev1Event created = await _client.CoreV1.CreateNamespacedEventAsync(e, e.Metadata.NamespaceProperty, cancellationToken: cancellationToken).ConfigureAwait(false);
        _seen[key] = (created.Metadata.Name, created.Metadata.NamespaceProperty, 1, now);
    }

    /// <summary>Writes what is queued (for a short while at most), then stops.</summary>
    public async ValueTask DisposeAsync()
    {
        _queue.Writer.TryComplete();
        try
        {
            await _loop.WaitAsync(TimeSpan.FromSeconds(5)).ConfigureAwait(false);
        }
        catch (TimeoutException)
        {
            await _stop.CancelAsync().ConfigureAwait(false);
        }

        _stop.Dispose();
    }

    [LoggerMessage(Level = LogLevel.Warning, Message = "Event {Reason} for {Object} dropped (queue full or rate limited)")]
    private static partial void LogDropped(ILogger logger, string reason, string @object);

    [LoggerMessage(Level = LogLevel.Warning, Message = "Event {Reason} could not be written: {Error}")]
    private static partial void LogFailed(ILogger logger, string reason, string error);
}
