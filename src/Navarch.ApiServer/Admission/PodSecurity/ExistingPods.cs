using k8s.Models;
using Navarch.Api;
using Navarch.ApiServer.Registry;
using Navarch.Storage;

namespace Navarch.ApiServer.Admission.PodSecurity;

/// <summary>
/// The warnings of a namespace whose enforce level tightens (pod-security-admission's EvaluatePodsInNamespace): the
/// pods already there are judged by the new level — one pod per controller first, at most 3000, for at most a
/// second — and each distinct set of reasons is reported once with the lexically first pod and how many others share it.
/// </summary>
internal static class ExistingPods
{
    private const int MaxPods = 3000;

    private static readonly TimeSpan Timeout = TimeSpan.FromSeconds(1);

    public static async Task<IReadOnlyList<string>> WarningsAsync(
        IStore store, ResourceDefinition pods, string ns, LevelVersion enforce, Evaluator evaluator, IReadOnlySet<string> exemptRuntimeClasses, TimeProvider time, CancellationToken cancellationToken)
    {
        using var deadline = new CancellationTokenSource(Timeout, time);
        List<V1Pod> all;
        try
        {
            ListResult list = await store.ListAsync(pods.ListPrefix(ns), new ListOptions(), cancellationToken).ConfigureAwait(false);
            all = list.Items.Select(kv => (V1Pod)ObjectCodec.Decode(pods, kv)).ToList();
        }
        catch (StorageException)
        {
            return ["failed to list pods while checking new PodSecurity enforce level"];
        }

        List<V1Pod> prioritized = Prioritize(all.Where(p => !Exempt(p, exemptRuntimeClasses)));
        int total = prioritized.Count;
        var counts = new Dictionary<string, (string FirstPod, int Count)>(StringComparer.Ordinal);
        var order = new List<string>();
        int checkedPods = 0;
        foreach (V1Pod pod in prioritized.Take(MaxPods))
        {
            checkedPods++;
            AggregateCheckResult result = evaluator.Evaluate(enforce, pod.Metadata, pod.Spec);
            if (!result.Allowed)
            {
                string warning = result.ForbiddenReason;
                if (counts.TryGetValue(warning, out (string FirstPod, int Count) seen))
                {
                    counts[warning] = (string.CompareOrdinal(pod.Metadata.Name, seen.FirstPod) < 0 ? pod.Metadata.Name : seen.FirstPod, seen.Count + 1);
                }
                else
                {
                    counts[warning] = (pod.Metadata.Name, 1);
                    order.Add(warning);
                }
            }

            if (deadline.IsCancellationRequested || cancellationToken.IsCancellationRequested)
            {
                break;
            }
        }

        var warnings = new List<string>();
        if (checkedPods < total)
        {
            warnings.Add($"new PodSecurity enforce level only checked against the first {checkedPods} of {total} existing pods");
        }

        if (order.Count > 0)
        {
            warnings.Add($"existing pods in namespace \"{ns}\" violate the new PodSecurity enforce level \"{enforce}\"");
        }

        var podWarnings = order.Select(w => counts[w] switch
        {
            (string first, 1) => $"{first}: {w}",
            (string first, 2) => $"{first} (and 1 other pod): {w}",
            (string first, int n) => $"{first} (and {n - 1} other pods): {w}",
        }).ToList();
        podWarnings.Sort(StringComparer.Ordinal);
        warnings.AddRange(podWarnings);
        return warnings;
    }

    private static bool Exempt(V1Pod pod, IReadOnlySet<string> exemptRuntimeClasses) =>
        pod.Spec.RuntimeClassName is { Length: > 0 } runtimeClass && exemptRuntimeClasses.Contains(runtimeClass);

    /// <summary>One pod of each controller first (replicas share a template), then the other replicas.</summary>
    private static List<V1Pod> Prioritize(IEnumerable<V1Pod> pods)
    {
        var first = new List<V1Pod>();
        var duplicates = new List<V1Pod>();
        var controllers = new HashSet<string>(StringComparer.Ordinal);
        foreach (V1Pod pod in pods)
        {
            string? controller = pod.Metadata.OwnerReferences?.FirstOrDefault(o => o.Controller == true)?.Uid;
            if (controller is null || controllers.Add(controller))
            {
                first.Add(pod);
            }
            else
            {
                duplicates.Add(pod);
            }
        }

        return [.. first, .. duplicates];
    }
}
