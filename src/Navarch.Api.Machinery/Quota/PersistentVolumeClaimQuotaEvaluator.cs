using k8s.Models;
using Navarch.Api.Quantities;

namespace Navarch.Api.Quota;

/// <summary>
/// Kubernetes' claim evaluator: claims and requested storage, in all and per storage class
/// (<c>&lt;class&gt;.storageclass.storage.k8s.io/requests.storage</c>); a resize is an update that counts.
/// </summary>
public sealed class PersistentVolumeClaimQuotaEvaluator : QuotaEvaluator
{
    /// <summary>The one instance.</summary>
    public static readonly PersistentVolumeClaimQuotaEvaluator Instance = new();

    private const string ClassSuffix = ".storageclass.storage.k8s.io/";

    private PersistentVolumeClaimQuotaEvaluator()
    {
    }

    /// <inheritdoc />
    public override string Group => "";

    /// <inheritdoc />
    public override string Resource => "persistentvolumeclaims";

    /// <inheritdoc />
    public override bool Handles(bool update) => true;

    /// <inheritdoc />
    public override IReadOnlyList<string> MatchingResources(IEnumerable<string> names) =>
        names.Where(n => n is "count/persistentvolumeclaims" or "persistentvolumeclaims" or "requests.storage"
            || (n.Contains(ClassSuffix, StringComparison.Ordinal) && (n.EndsWith("/requests.storage", StringComparison.Ordinal) || n.EndsWith("/persistentvolumeclaims", StringComparison.Ordinal)))).ToList();

    /// <inheritdoc />
    public override Dictionary<string, Quantity> Usage(object obj, DateTimeOffset now)
    {
        var claim = (V1PersistentVolumeClaim)obj;
        var result = new Dictionary<string, Quantity>(StringComparer.Ordinal)
        {
            ["persistentvolumeclaims"] = Quantity.FromUnits(1),
            ["count/persistentvolumeclaims"] = Quantity.FromUnits(1),
        };
        string? className = claim.Spec?.StorageClassName;
        if (!string.IsNullOrEmpty(className))
        {
            result[className + ClassSuffix + "persistentvolumeclaims"] = Quantity.FromUnits(1);
        }

        if (claim.Spec?.Resources?.Requests?.TryGetValue("storage", out ResourceQuantity? storage) == true)
        {
            result["requests.storage"] = storage.ToQuantity();
            if (!string.IsNullOrEmpty(className))
            {
                result[className + ClassSuffix + "requests.storage"] = storage.ToQuantity();
            }
        }

        return result;
    }
}
