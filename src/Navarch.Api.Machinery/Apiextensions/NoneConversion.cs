namespace Navarch.Api.Apiextensions;

/// <summary>Conversion <c>None</c> (apiextensions-apiserver's nopConverter): the same object under the other apiVersion.</summary>
public sealed class NoneConversion : ICustomResourceConversion
{
    /// <summary>The one instance.</summary>
    public static NoneConversion Instance { get; } = new();

    private NoneConversion()
    {
    }

    /// <inheritdoc />
    public bool InProcess => true;

    /// <inheritdoc />
    public ValueTask<IReadOnlyList<CustomResource>> ConvertAsync(IReadOnlyList<CustomResource> objects, string apiVersion, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(objects);
        foreach (CustomResource resource in objects)
        {
            resource.ApiVersion = apiVersion;
        }

        return ValueTask.FromResult(objects);
    }
}
