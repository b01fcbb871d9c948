using k8s.Models;
using Navarch.Api.Validation;

namespace Navarch.Api.Strategies.Node;

/// <summary>node.k8s.io/v1 RuntimeClass.</summary>
internal static class RuntimeClassStrategy
{
    /// <summary>The strategy: a handler that is a DNS label and never changes; overhead quantities that are valid.</summary>
    public static ResourceStrategy<V1RuntimeClass> Create() => new()
    {
        Validation = Validate,
        UpdateValidation = (runtimeClass, old) => runtimeClass.Handler == old.Handler ? [] : [FieldValidation.Immutable("handler", runtimeClass.Handler)],
        Columns = [new("Handler", "string", "", "Handler specifies the underlying runtime and configuration that the CRI implementation will use to handle pods of this class."), TableColumn.AgeColumn],
        Cells = (runtimeClass, now) => [runtimeClass.Handler, Age.Of(runtimeClass.Metadata.CreationTimestamp, now)],
    };

    private static IEnumerable<FieldError> Validate(V1RuntimeClass runtimeClass)
    {
        if (string.IsNullOrEmpty(runtimeClass.Handler))
        {
            yield return new FieldError(FieldErrorType.Required, "handler", null, "");
            yield break;
        }

        foreach (string problem in MetadataValidation.NameProblems(runtimeClass.Handler, NameRule.Label))
        {
            yield return new FieldError(FieldErrorType.Invalid, "handler", runtimeClass.Handler, problem);
        }

        foreach ((string name, ResourceQuantity value) in runtimeClass.Overhead?.PodFixed ?? new Dictionary<string, ResourceQuantity>())
        {
            foreach (FieldError error in Quantities.QuantityValidation.Value(name, value, $"overhead.podFixed[{name}]"))
            {
                yield return error;
            }
        }
    }
}
