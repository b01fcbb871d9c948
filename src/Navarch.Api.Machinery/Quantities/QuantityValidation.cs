using k8s.Models;

namespace Navarch.Api.Quantities;

/// <summary>
/// Kubernetes' quantity checks (ValidateResourceQuantityValue, ValidateNonnegativeQuantity, the request/limit rules of
/// ValidateResourceRequirements), on the bounded <see cref="Quantity"/> every quantity was read as.
/// </summary>
internal static class QuantityValidation
{
    private const string NegativeMessage = "must be greater than or equal to 0";

    private static readonly HashSet<string> IntegerResources = new(StringComparer.Ordinal)
    {
        "pods", "services", "replicationcontrollers", "resourcequotas", "secrets", "configmaps", "persistentvolumeclaims", "services.nodeports", "services.loadbalancers",
    };

    /// <summary>ValidateResourceQuantityValue: not negative, and whole for an integer resource (pods, extended resources, ...).</summary>
    public static IEnumerable<FieldError> Value(string resource, ResourceQuantity? value, string path)
    {
        Quantity q = value.ToQuantity();
        if (q.Sign < 0)
        {
            yield return new FieldError(FieldErrorType.Invalid, path, q.ToString(), NegativeMessage);
        }

        if (IsInteger(resource) && q.Nanos % 1_000_000_000 != 0)
        {
            yield return new FieldError(FieldErrorType.Invalid, path, q.ToString(), "must be an integer");
        }
    }

    /// <summary>ValidateResourceRequirements' quantity rules: each value valid, and each request at most its limit (equal to it for resources that cannot be overcommitted).</summary>
    public static IEnumerable<FieldError> Requirements(V1ResourceRequirements? requirements, string path)
    {
        if (requirements is null)
        {
            yield break;
        }

        foreach ((string name, ResourceQuantity value) in requirements.Limits ?? new Dictionary<string, ResourceQuantity>())
        {
            foreach (FieldError error in Value(name, value, $"{path}.limits[{name}]"))
            {
                yield return error;
            }
        }

        foreach ((string name, ResourceQuantity value) in requirements.Requests ?? new Dictionary<string, ResourceQuantity>())
        {
            foreach (FieldError error in Value(name, value, $"{path}.requests[{name}]"))
            {
                yield return error;
            }

            Quantity request = value.ToQuantity();
            if (requirements.Limits?.TryGetValue(name, out ResourceQuantity? limitValue) == true)
            {
                Quantity limit = limitValue.ToQuantity();
                if (request != limit && !OvercommitAllowed(name))
                {
                    yield return new FieldError(FieldErrorType.Invalid, $"{path}.requests", request.ToString(), $"must be equal to {name} limit of {limit}");
                }
                else if (request > limit)
                {
                    yield return new FieldError(FieldErrorType.Invalid, $"{path}.requests", request.ToString(), $"must be less than or equal to {name} limit of {limit}");
                }
            }
            else if (!OvercommitAllowed(name))
            {
                yield return new FieldError(FieldErrorType.Required, $"{path}.limits", null, "Limit must be set for non overcommitable resources");
            }
        }
    }

    /// <summary>IsIntegerResourceName: the object-count resources and extended resources.</summary>
    private static bool IsInteger(string resource) => IntegerResources.Contains(resource) || IsExtended(resource);

    private static bool IsNative(string resource) => !resource.Contains('/', StringComparison.Ordinal) || resource.Contains("kubernetes.io/", StringComparison.Ordinal);

    private static bool IsExtended(string resource) => !IsNative(resource) && !resource.StartsWith("requests.", StringComparison.Ordinal);

    /// <summary>IsOvercommitAllowed: native resources other than huge pages.</summary>
    private static bool OvercommitAllowed(string resource) => IsNative(resource) && !resource.StartsWith("hugepages-", StringComparison.Ordinal);
}
