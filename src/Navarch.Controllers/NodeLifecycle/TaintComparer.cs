using k8s.Models;

namespace Navarch.Controllers.NodeLifecycle;

/// <summary>Compares taints by key, value, effect and timeAdded.</summary>
internal sealed class TaintComparer : IEqualityComparer<V1Taint>
{
    public static readonly TaintComparer Instance = new();

    public bool Equals(V1Taint? x, V1Taint? y) =>
        ReferenceEquals(x, y) || (x is not null && y is not null && x.Key == y.Key && x.Value == y.Value && x.Effect == y.Effect && x.TimeAdded == y.TimeAdded);

    public int GetHashCode(V1Taint obj) => HashCode.Combine(obj.Key, obj.Value, obj.Effect, obj.TimeAdded);
}
