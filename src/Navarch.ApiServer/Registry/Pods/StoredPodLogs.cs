using System.Globalization;
using System.Text;
using Microsoft.AspNetCore.Http;
using Navarch.Api;
using Navarch.Api.Logging;
using Navarch.Api.Selectors;
using Navarch.ApiServer.ContainerLogs;
using Navarch.ApiServer.Http;

namespace Navarch.ApiServer.Registry.Pods;

/// <summary>
/// pods/log of a pod that no longer exists, answered from the central log store where Kubernetes answers 404: the lines
/// of the last pod of that name (the newest UID the store holds, so a name reused by a StatefulSet shows its latest
/// pod), of the container asked for — or the only one stored — with pods/log's <c>sinceSeconds</c>, <c>sinceTime</c>,
/// <c>tailLines</c>, <c>timestamps</c> and <c>limitBytes</c>, as text as the kubelet writes it. A follow ends with what
/// is stored: nothing more will come.
/// </summary>
internal sealed class StoredPodLogs(ContainerLogStore store, TimeProvider time)
{
    /// <summary>Writes the stored lines; false (nothing written) when the store has none of this pod.</summary>
    public async Task<bool> TryWriteAsync(HttpContext context, string ns, string pod, CancellationToken cancellationToken)
    {
        IQueryCollection q = context.Request.Query;
        LogWindow window = LogWindow.Parse(q, time.GetUtcNow(), "PodLogOptions", "", pod);
        long? limitBytes = null;
        if (q["limitBytes"].ToString() is { Length: > 0 } limit)
        {
            limitBytes = !long.TryParse(limit, NumberStyles.AllowLeadingSign, CultureInfo.InvariantCulture, out long n) ? throw ApiErrors.BadRequest($"invalid limitBytes: {limit}")
                : n < 1 ? throw ApiErrors.Invalid("PodLogOptions", "", pod, [new FieldError(FieldErrorType.Invalid, "limitBytes", n, "must be greater than 0")])
                : n;
        }

        // Which pod of that name, and which of its containers: one pass over the pod's lines, keeping only names.
        string? uid = null;
        long newest = long.MinValue;
        var containers = new SortedSet<string>(StringComparer.Ordinal);
        await foreach (ContainerLogRecord record in store.ReadAsync(Query(ns, $"metadata.name={pod}", null), follow: false, cancellationToken))
        {
            if (record.Time >= newest && record.PodUid != uid)
            {
                (uid, newest) = (record.PodUid, record.Time);
                containers.Clear();
            }

            if (record.PodUid == uid)
            {
                newest = Math.Max(newest, record.Time);
                containers.Add(record.Container);
            }
        }

        if (uid is null)
        {
            return false;
        }

        string container = q["container"].ToString();
        if (container.Length == 0)
        {
            container = containers.Count == 1
                ? containers.Min!
                : throw ApiErrors.BadRequest($"a container name must be specified for pod {pod}, choose one of: [{string.Join(" ", containers)}]");
        }
        else if (!containers.Contains(container))
        {
            throw ApiErrors.BadRequest($"container {container} is not valid for pod {pod}");
        }

        bool timestamps = RequestOptions.Flag(q, "timestamps");
        context.Response.StatusCode = 200;
        context.Response.ContentType = "text/plain";
        var line = new StringBuilder();
        long written = 0;
        await foreach (ContainerLogRecord record in store.ReadAsync(Query(ns, $"podUID={uid},container={container}", window), follow: false, cancellationToken))
        {
            line.Clear();
            if (timestamps)
            {
                line.Append(LogTime.Format(record.Time)).Append(' ');
            }

            line.Append(record.Message).Append('\n');
            byte[] bytes = Encoding.UTF8.GetBytes(line.ToString());
            int take = limitBytes is { } cap ? (int)Math.Min(bytes.Length, cap - written) : bytes.Length;
            await context.Response.Body.WriteAsync(bytes.AsMemory(0, take), cancellationToken);
            written += take;
            if (written >= limitBytes)
            {
                break;
            }
        }

        return true;
    }

    private static ContainerLogQuery Query(string ns, string fields, LogWindow? window) =>
        new(ns, LabelSelector.Everything, FieldSelector.Parse(fields), window?.SinceNanos, window?.TailLines);
}
