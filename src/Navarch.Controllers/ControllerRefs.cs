using System.Text.Json;
using k8s;
using k8s.Models;
using Navarch.Api;

namespace Navarch.Controllers;

/// <summary>Controller ownerReferences: finding an object's controller, making one, and the patch that adopts or releases.</summary>
internal static class ControllerRefs
{
    /// <summary>The ownerReference with controller=true, when it is of <paramref name="kind"/>.</summary>
    public static V1OwnerReference? ControllerOf(V1ObjectMeta metadata, string kind) =>
        metadata.OwnerReferences?.FirstOrDefault(o => o.Controller == true && o.Kind == kind);

    /// <summary>A controller reference to <paramref name="owner"/> that blocks its foreground deletion.</summary>
    public static V1OwnerReference To(IKubernetesObject<V1ObjectMeta> owner, string apiVersion, string kind) => new()
    {
        ApiVersion = apiVersion,
        Kind = kind,
        Name = owner.Metadata.Name,
        Uid = owner.Metadata.Uid,
        Controller = true,
        BlockOwnerDeletion = true,
    };

    /// <summary>
    /// A merge patch giving <paramref name="dependent"/> the controller <paramref name="controller"/> (adoption) or none
    /// (release), keeping its other owners; guarded by the dependent's uid so a recreated namesake is never touched.
    /// </summary>
    public static string AdoptionPatch(V1ObjectMeta dependent, V1OwnerReference? controller)
    {
        var references = (dependent.OwnerReferences ?? []).Where(o => o.Controller != true).ToList();
        if (controller is not null)
        {
            references.Add(controller);
        }

        return JsonSerializer.Serialize(new { metadata = new { uid = dependent.Uid, ownerReferences = references } }, KubernetesSerialization.Options);
    }
}
