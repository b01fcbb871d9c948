namespace Navarch.Api.Apiextensions;

/// <summary>
/// A CustomResourceDefinition's conversion strategy (apiextensions-apiserver's crConverterInterface): <c>None</c>
/// rewrites apiVersion only, <c>Webhook</c> asks the CRD's conversion webhook.
/// </summary>
public interface ICustomResourceConversion
{
    /// <summary>True when conversion runs in this process and completes at once (<c>None</c>).</summary>
    bool InProcess { get; }

    /// <summary>
    /// <paramref name="objects"/> (none of them in <paramref name="apiVersion"/> yet) converted to <paramref name="apiVersion"/>,
    /// in order. The inputs are the caller's copies and may be changed. A failure is a Status as kube-apiserver words it.
    /// </summary>
    ValueTask<IReadOnlyList<CustomResource>> ConvertAsync(IReadOnlyList<CustomResource> objects, string apiVersion, CancellationToken cancellationToken);
}
