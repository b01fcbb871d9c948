namespace Navarch.ApiServer.Registry;

/// <summary>Which rules of the resource's strategy an update goes through.</summary>
internal enum UpdateKind
{
    /// <summary>The main resource (and scale, finalize): PrepareForUpdate, Default, ValidateUpdate.</summary>
    Resource,

    /// <summary>The status subresource: PrepareForStatusUpdate, ValidateStatusUpdate.</summary>
    Status,

    /// <summary>
    /// A subresource that makes its own checks and changes only what it owns (pods/binding, as Kubernetes'
    /// BindingREST writes the pod with its storage's GuaranteedUpdate and not the pod update strategy, which would
    /// refuse spec.nodeName). Admission still sees it.
    /// </summary>
    Subresource,
}
