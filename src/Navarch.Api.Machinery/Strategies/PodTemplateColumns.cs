using k8s.Models;
using Navarch.Api.Selectors;

namespace Navarch.Api.Strategies;

/// <summary>The -o wide columns of every kind that stamps pods from a template (workloads and Jobs), as kubectl prints them.</summary>
internal static class PodTemplateColumns
{
    /// <summary>CONTAINERS.</summary>
    public static TableColumn Containers { get; } = new("Containers", "string", "", "Names of each container in the template.", 1);

    /// <summary>IMAGES.</summary>
    public static TableColumn Images { get; } = new("Images", "string", "", "Images referenced by each container in the template.", 1);

    /// <summary>SELECTOR.</summary>
    public static TableColumn Selector { get; } = new("Selector", "string", "", "Label selector for pods.", 1);

    /// <summary>The cells of <see cref="Containers"/>, <see cref="Images"/> and <see cref="Selector"/>.</summary>
    public static IEnumerable<object?> Cells(V1PodTemplateSpec? template, V1LabelSelector? selector)
    {
        IList<V1Container> containers = template?.Spec?.Containers ?? [];
        yield return string.Join(",", containers.Select(c => c.Name));
        yield return string.Join(",", containers.Select(c => c.Image));
        yield return selector is null ? "<none>" : selector.Format();
    }
}
