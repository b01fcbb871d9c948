using k8s.Models;

namespace Navarch.Api.Strategies.Storage;

/// <summary>storage.k8s.io/v1 VolumeAttachment: a request to attach a volume to a node, and (status) whether the attacher did.</summary>
internal static class VolumeAttachmentStrategy
{
    /// <summary>The strategy: an attacher, a node, exactly one source; the spec fixed once created.</summary>
    public static ResourceStrategy<V1VolumeAttachment> Create() => new()
    {
        HasStatus = true,
        Validation = Validate,
        UpdateValidation = (va, old) => KubernetesSerialization.JsonEquals(va.Spec, old.Spec) ? [] : [new FieldError(FieldErrorType.Invalid, "spec", null, "field is immutable")],
        Columns =
        [
            new("Attacher", "string", "", "attacher indicates the name of the volume driver that MUST handle this request."),
            new("PV", "string", "", "Name of the persistent volume to attach."),
            new("Node", "string", "", "nodeName represents the node that the volume should be attached to."),
            new("Attached", "boolean", "", "attached indicates the volume is successfully attached."),
            TableColumn.AgeColumn,
        ],
        Cells = (va, now) => [va.Spec?.Attacher ?? "", va.Spec?.Source?.PersistentVolumeName ?? "", va.Spec?.NodeName ?? "", va.Status?.Attached ?? false, Age.Of(va.Metadata.CreationTimestamp, now)],
    };

    private static IEnumerable<FieldError> Validate(V1VolumeAttachment va)
    {
        foreach (FieldError e in CsiDriverNames.Validate("spec.attacher", va.Spec?.Attacher))
        {
            yield return e;
        }

        if (string.IsNullOrEmpty(va.Spec?.NodeName))
        {
            yield return new FieldError(FieldErrorType.Required, "spec.nodeName", null, "");
        }

        bool named = !string.IsNullOrEmpty(va.Spec?.Source?.PersistentVolumeName);
        bool inline = va.Spec?.Source?.InlineVolumeSpec is not null;
        if (named == inline)
        {
            yield return new FieldError(FieldErrorType.Invalid, "spec.source", null, "must specify exactly one of inlineVolumeSpec and persistentVolumeName");
        }
    }
}
