using k8s.Models;

namespace Navarch.ApiServer.Apiextensions;

/// <summary>Setting a CustomResourceDefinition's status conditions (apiextensions' SetCRDCondition).</summary>
internal static class CustomResourceDefinitionConditions
{
    /// <summary>Puts <paramref name="condition"/> in place of the one of its type, or adds it.</summary>
    public static void Set(V1CustomResourceDefinition crd, V1CustomResourceDefinitionCondition condition)
    {
        crd.Status ??= new V1CustomResourceDefinitionStatus();
        crd.Status.Conditions ??= [];
        int at = crd.Status.Conditions.ToList().FindIndex(c => c.Type == condition.Type);
        if (at >= 0)
        {
            crd.Status.Conditions[at] = condition;
        }
        else
        {
            crd.Status.Conditions.Add(condition);
        }
    }

    /// <summary>Whether the CRD has <paramref name="type"/>=True.</summary>
    public static bool IsTrue(V1CustomResourceDefinition crd, string type) =>
        crd.Status?.Conditions?.Any(c => c.Type == type && c.Status == "True") == true;
}
