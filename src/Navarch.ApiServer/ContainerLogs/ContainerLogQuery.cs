using Navarch.Api.Selectors;

namespace Navarch.ApiServer.ContainerLogs;

/// <summary>Which stored lines a reader wants: a namespace (or all), pod labels, fields, a start time, the last N.</summary>
/// <param name="Namespace">The namespace, or null for every namespace.</param>
/// <param name="Labels">The pods' labels to match.</param>
/// <param name="Fields">
/// <c>metadata.name</c> (the pod), <c>metadata.namespace</c>, <c>podUID</c>, <c>container</c>, <c>node</c>, <c>stream</c>.
/// </param>
/// <param name="SinceNanos">Only lines at or after this time (nanoseconds since the epoch), or null.</param>
/// <param name="TailLines">Only the last N matching lines of what is stored when the read begins, or null for all.</param>
internal sealed record ContainerLogQuery(string? Namespace, LabelSelector Labels, FieldSelector Fields, long? SinceNanos, long? TailLines)
{
    /// <summary>The fields a query may select on.</summary>
    public static readonly string[] SupportedFields = ["metadata.name", "metadata.namespace", "podUID", "container", "node", "stream"];

    /// <summary>Every line.</summary>
    public static ContainerLogQuery All { get; } = new(null, LabelSelector.Everything, FieldSelector.Everything, null, null);

    /// <summary>Whether <paramref name="record"/> is wanted.</summary>
    public bool Matches(ContainerLogRecord record)
    {
        if ((Namespace is not null && record.Namespace != Namespace) || (SinceNanos is { } since && record.Time < since))
        {
            return false;
        }

        foreach ((string field, bool equal, string value) in Fields.Terms)
        {
            string actual = field switch
            {
                "metadata.name" => record.Pod,
                "metadata.namespace" => record.Namespace,
                "podUID" => record.PodUid,
                "container" => record.Container,
                "node" => record.Node,
                "stream" => record.Stream,
                _ => "",
            };
            if ((actual == value) != equal)
            {
                return false;
            }
        }

        return Labels.IsEverything || Labels.Matches(record.Labels);
    }
}
