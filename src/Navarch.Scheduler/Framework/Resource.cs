using k8s.Models;
using Navarch.Api.Quantities;

namespace Navarch.Scheduler.Framework;

/// <summary>An amount of every resource the scheduler counts: cpu in millicores, bytes, a pod count and extended resources.</summary>
internal sealed class Resource
{
    public long MilliCpu { get; set; }

    public long Memory { get; set; }

    public long EphemeralStorage { get; set; }

    public long Pods { get; set; }

    public Dictionary<string, long> Scalar { get; } = new(StringComparer.Ordinal);

    public static Resource From(IDictionary<string, ResourceQuantity>? list)
    {
        var r = new Resource();
        if (list is not null)
        {
            foreach (KeyValuePair<string, ResourceQuantity> kv in list)
            {
                r.Set(kv.Key, ToInteger(kv.Key, kv.Value));
            }
        }

        return r;
    }

    /// <summary>
    /// cpu in millicores, everything else in whole units (rounded up, as Kubernetes' MilliValue() and Value()),
    /// through the bounded quantity: saturating at the bounds of a long, never throwing, whatever is stored.
    /// </summary>
    public static long ToInteger(string name, ResourceQuantity quantity)
    {
        Quantity q = quantity.ToQuantity();
        return name == "cpu" ? q.MilliValue : q.Value;
    }

    public long Get(string name) => name switch
    {
        "cpu" => MilliCpu,
        "memory" => Memory,
        "ephemeral-storage" => EphemeralStorage,
        "pods" => Pods,
        _ => Scalar.GetValueOrDefault(name),
    };

    public void Set(string name, long value)
    {
        switch (name)
        {
            case "cpu": MilliCpu = value; break;
            case "memory": Memory = value; break;
            case "ephemeral-storage": EphemeralStorage = value; break;
            case "pods": Pods = value; break;
            default:
                if (IsScalar(name))
                {
                    Scalar[name] = value;
                }

                break;
        }
    }

    /// <summary>Extended resources (vendor.io/gpu) and hugepages; not e.g. "storage".</summary>
    public static bool IsScalar(string name) => name.Contains('/', StringComparison.Ordinal) || name.StartsWith("hugepages-", StringComparison.Ordinal);

    public IEnumerable<string> Names()
    {
        yield return "cpu";
        yield return "memory";
        yield return "ephemeral-storage";
        foreach (string k in Scalar.Keys)
        {
            yield return k;
        }
    }

    /// <summary>Adds (or with <paramref name="sign"/> -1 subtracts) <paramref name="other"/>, saturating rather than wrapping around.</summary>
    public void Add(Resource other, int sign = 1)
    {
        MilliCpu = Saturating(MilliCpu, sign, other.MilliCpu);
        Memory = Saturating(Memory, sign, other.Memory);
        EphemeralStorage = Saturating(EphemeralStorage, sign, other.EphemeralStorage);
        Pods = Saturating(Pods, sign, other.Pods);
        foreach (KeyValuePair<string, long> kv in other.Scalar)
        {
            Scalar[kv.Key] = Saturating(Scalar.GetValueOrDefault(kv.Key), sign, kv.Value);
        }
    }

    private static long Saturating(long a, int sign, long b) => (long)Int128.Clamp((Int128)a + ((Int128)sign * b), long.MinValue, long.MaxValue);

    public void SetMax(Resource other)
    {
        MilliCpu = Math.Max(MilliCpu, other.MilliCpu);
        Memory = Math.Max(Memory, other.Memory);
        EphemeralStorage = Math.Max(EphemeralStorage, other.EphemeralStorage);
        foreach (KeyValuePair<string, long> kv in other.Scalar)
        {
            Scalar[kv.Key] = Math.Max(Scalar.GetValueOrDefault(kv.Key), kv.Value);
        }
    }

    public Resource Clone()
    {
        var r = new Resource { MilliCpu = MilliCpu, Memory = Memory, EphemeralStorage = EphemeralStorage, Pods = Pods };
        foreach (KeyValuePair<string, long> kv in Scalar)
        {
            r.Scalar[kv.Key] = kv.Value;
        }

        return r;
    }
}
