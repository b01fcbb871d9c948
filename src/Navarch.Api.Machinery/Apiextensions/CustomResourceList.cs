using k8s;
using k8s.Models;

namespace Navarch.Api.Apiextensions;

/// <summary>A list of custom resources (the list type of every custom resource definition; its kind is the CRD's listKind).</summary>
public sealed class CustomResourceList : IKubernetesObject<V1ListMeta>, IItems<CustomResource>
{
    /// <inheritdoc />
    public string ApiVersion { get; set; } = "";

    /// <inheritdoc />
    public string Kind { get; set; } = "";

    /// <inheritdoc />
    public V1ListMeta Metadata { get; set; } = new();

    /// <inheritdoc />
    public IList<CustomResource> Items { get; set; } = [];
}
