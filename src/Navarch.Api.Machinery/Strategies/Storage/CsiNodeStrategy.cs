using k8s.Models;
using Navarch.Api.Validation;

namespace Navarch.Api.Strategies.Storage;

/// <summary>storage.k8s.io/v1 CSINode: the CSI drivers the kubelet registered on a node, with their node IDs and topology keys.</summary>
internal static class CsiNodeStrategy
{
    /// <summary>The strategy: each driver named once, with a node ID; a registered driver's node ID and topology keys fixed.</summary>
    public static ResourceStrategy<V1CSINode> Create() => new()
    {
        Validation = Validate,
        UpdateValidation = (node, old) =>
        {
            var errors = new List<FieldError>();
            IList<V1CSINodeDriver> drivers = node.Spec?.Drivers ?? [];
            for (int i = 0; i < drivers.Count; i++)
            {
                if (old.Spec?.Drivers?.FirstOrDefault(d => d.Name == drivers[i].Name) is not { } before)
                {
                    continue;
                }

                if (drivers[i].NodeID != before.NodeID)
                {
                    errors.Add(FieldValidation.Immutable($"spec.drivers[{i}].nodeID", drivers[i].NodeID));
                }

                if (!(drivers[i].TopologyKeys ?? []).SequenceEqual(before.TopologyKeys ?? []))
                {
                    errors.Add(FieldValidation.Immutable($"spec.drivers[{i}].topologyKeys", null));
                }
            }

            return errors;
        },
        Columns = [new("Drivers", "integer", "", "drivers indicates the number of CSI drivers registered on the node"), TableColumn.AgeColumn],
        Cells = (node, now) => [node.Spec?.Drivers?.Count ?? 0, Age.Of(node.Metadata.CreationTimestamp, now)],
    };

    private static IEnumerable<FieldError> Validate(V1CSINode node)
    {
        IList<V1CSINodeDriver> drivers = node.Spec?.Drivers ?? [];
        var seen = new HashSet<string>(StringComparer.Ordinal);
        for (int i = 0; i < drivers.Count; i++)
        {
            V1CSINodeDriver driver = drivers[i];
            string path = $"spec.drivers[{i}]";
            foreach (FieldError e in CsiDriverNames.Validate($"{path}.name", driver.Name))
            {
                yield return e;
            }

            if (!string.IsNullOrEmpty(driver.Name) && !seen.Add(driver.Name))
            {
                yield return new FieldError(FieldErrorType.Duplicate, $"{path}.name", driver.Name, "");
            }

            if (string.IsNullOrEmpty(driver.NodeID))
            {
                yield return new FieldError(FieldErrorType.Required, $"{path}.nodeID", null, "nodeID cannot be empty");
            }
            else if (driver.NodeID.Length > 192)
            {
                yield return new FieldError(FieldErrorType.TooLong, $"{path}.nodeID", driver.NodeID, "must be 192 characters or less");
            }

            if (driver.Allocatable?.Count is < 0)
            {
                yield return new FieldError(FieldErrorType.Invalid, $"{path}.allocatable.count", driver.Allocatable.Count, "must be greater than or equal to 0");
            }

            if (driver.TopologyKeys is { } keys && keys.Distinct(StringComparer.Ordinal).Count() != keys.Count)
            {
                yield return new FieldError(FieldErrorType.Duplicate, $"{path}.topologyKeys", string.Join(",", keys), "");
            }
        }
    }
}
