using k8s;
using k8s.Models;
using Navarch.Api;
using Navarch.Api.Resources;
using Navarch.ApiServer.Registry;
using Navarch.Storage;

namespace Navarch.ApiServer.Admission.PodSecurity;

/// <summary>
/// Kubernetes' PodSecurity admission plugin: each namespace's <c>pod-security.kubernetes.io/{enforce,audit,warn}</c>
/// labels (and <c>-version</c>) choose a Pod Security Standard per mode. Pods that violate the enforce level are
/// refused (403); violations of the warn level come back as warnings and of the audit level as audit annotations.
/// Workloads with a pod template get warnings and audit annotations only. Namespace labels are validated (422), and
/// tightening a namespace's enforce level warns about the pods already there. Users, runtime classes and namespaces
/// can be exempted in the configuration.
/// </summary>
internal sealed class PodSecurityAdmission(IStore store, ResourceCatalog catalog, PodSecurityConfiguration configuration, TimeProvider time) : IAdmissionPlugin
{
    private const string EnforcePolicyAnnotation = Policy.LabelPrefix + "enforce-policy";

    private const string AuditViolationsAnnotation = Policy.LabelPrefix + "audit-violations";

    private const string ExemptAnnotation = Policy.LabelPrefix + "exempt";

    private const string ErrorAnnotation = Policy.LabelPrefix + "error";

    private readonly Evaluator _evaluator = Evaluator.Default;

    public string Name => "PodSecurity";

    public bool Mutating => false;

    public async ValueTask AdmitAsync(AdmissionRequest request, CancellationToken cancellationToken)
    {
        // Subresources (status, scale, binding, eviction, ...) cannot change a pod spec here; ephemeralcontainers adds
        // containers to one, and is checked as a pod update.
        if (request.Operation == AdmissionOperation.Delete || request.Subresource is not (null or "ephemeralcontainers") || request.Object is null)
        {
            return;
        }

        switch (request.Object)
        {
            case V1Namespace ns:
                await ValidateNamespaceAsync(request, ns, cancellationToken);
                break;
            case V1Pod pod:
                await ValidatePodAsync(request, pod, cancellationToken);
                break;
            case var workload when PodTemplates.HasPodTemplate(workload):
                await ValidateWorkloadAsync(request, workload, cancellationToken);
                break;
        }
    }

    private async Task ValidateNamespaceAsync(AdmissionRequest request, V1Namespace ns, CancellationToken cancellationToken)
    {
        (Policy policy, IReadOnlyList<FieldError> errors) = Policy.FromLabels(ns.Metadata.Labels, configuration.Defaults);
        if (request.OldObject is not V1Namespace old)
        {
            ThrowIfInvalid(request, errors);
            return;
        }

        // Labels that were already invalid may stay as they were; a change must be valid.
        (Policy oldPolicy, IReadOnlyList<FieldError> oldErrors) = Policy.FromLabels(old.Metadata.Labels, configuration.Defaults);
        if (errors.Count > 0 && (oldErrors.Count == 0 || !errors.Select(e => e.ToString()).SequenceEqual(oldErrors.Select(e => e.ToString()))))
        {
            ThrowIfInvalid(request, errors);
        }

        // Only a stricter enforce level (or another version) can put existing pods in violation.
        LevelVersion enforce = policy.Enforce;
        if (enforce == oldPolicy.Enforce || enforce.Level == Level.Privileged
            || (enforce.Version == oldPolicy.Enforce.Version && enforce.Level <= oldPolicy.Enforce.Level)
            || configuration.ExemptNamespaces.Contains(ns.Metadata.Name))
        {
            return;
        }

        IReadOnlyList<string> warnings = await ExistingPods.WarningsAsync(
            store, Definition("pods"), ns.Metadata.Name, enforce, _evaluator, configuration.ExemptRuntimeClasses, time, cancellationToken);
        foreach (string warning in warnings)
        {
            request.AddWarning(warning);
        }
    }

    private async Task ValidatePodAsync(AdmissionRequest request, V1Pod pod, CancellationToken cancellationToken)
    {
        if (Exempt(request) || await NamespacePolicyAsync(request, cancellationToken) is not { } namespacePolicy)
        {
            return;
        }

        (Policy policy, IReadOnlyList<FieldError> errors) = namespacePolicy;
        if (errors.Count == 0 && policy.Enforce.Level == Level.Privileged && policy.Audit.Level == Level.Privileged && policy.Warn.Level == Level.Privileged)
        {
            request.AddAuditAnnotation(EnforcePolicyAnnotation, policy.Enforce.ToString());
            return;
        }

        if (request.OldObject is V1Pod old && !PodUpdates.IsSignificant(pod, old))
        {
            return;
        }

        Evaluate(request, policy, errors, pod.Metadata, pod.Spec, enforce: true);
    }

    private async Task ValidateWorkloadAsync(AdmissionRequest request, IKubernetesObject<V1ObjectMeta> workload, CancellationToken cancellationToken)
    {
        if (Exempt(request) || await NamespacePolicyAsync(request, cancellationToken) is not { } namespacePolicy)
        {
            return;
        }

        (Policy policy, IReadOnlyList<FieldError> errors) = namespacePolicy;
        if ((errors.Count == 0 && policy.Audit.Level == Level.Privileged && policy.Warn.Level == Level.Privileged) || PodTemplates.Extract(workload) is not { } template)
        {
            return;
        }

        Evaluate(request, policy, errors, template.Metadata, template.Spec, enforce: false);
    }

    /// <summary>Enforce (pods only) refuses; audit records; warn, unless refused, tells the client.</summary>
    private void Evaluate(AdmissionRequest request, Policy policy, IReadOnlyList<FieldError> errors, V1ObjectMeta metadata, V1PodSpec spec, bool enforce)
    {
        if (spec.RuntimeClassName is { Length: > 0 } runtimeClass && configuration.ExemptRuntimeClasses.Contains(runtimeClass))
        {
            request.AddAuditAnnotation(ExemptAnnotation, "runtimeClass");
            return;
        }

        if (errors.Count > 0)
        {
            string aggregate = errors.Count == 1 ? errors[0].ToString() : "[" + string.Join(", ", errors) + "]";
            request.AddAuditAnnotation(ErrorAnnotation, "Failed to parse policy: " + aggregate);
        }

        var results = new Dictionary<LevelVersion, AggregateCheckResult>();
        AggregateCheckResult Result(LevelVersion lv)
        {
            if (!results.TryGetValue(lv, out AggregateCheckResult? result))
            {
                results[lv] = result = _evaluator.Evaluate(lv, metadata, spec);
            }

            return result;
        }

        StatusException? refusal = null;
        if (enforce)
        {
            request.AddAuditAnnotation(EnforcePolicyAnnotation, policy.Enforce.ToString());
            if (Result(policy.Enforce) is { Allowed: false } denied)
            {
                refusal = ApiErrors.Forbidden(request.Resource.GroupResource, request.Name, $"violates PodSecurity \"{policy.Enforce}\": {denied.ForbiddenDetail}");
            }
        }

        if (Result(policy.Audit) is { Allowed: false } audited)
        {
            request.AddAuditAnnotation(AuditViolationsAnnotation, $"would violate PodSecurity \"{policy.Audit}\": {audited.ForbiddenDetail}");
        }

        if (refusal is not null)
        {
            throw refusal;
        }

        if (Result(policy.Warn) is { Allowed: false } warned)
        {
            request.AddWarning($"would violate PodSecurity \"{policy.Warn}\": {warned.ForbiddenDetail}");
        }
    }

    private bool Exempt(AdmissionRequest request)
    {
        if (request.Namespace is { } ns && configuration.ExemptNamespaces.Contains(ns))
        {
            request.AddAuditAnnotation(ExemptAnnotation, "namespace");
            return true;
        }

        if (request.UserName.Length > 0 && configuration.ExemptUsernames.Contains(request.UserName))
        {
            request.AddAuditAnnotation(ExemptAnnotation, "user");
            return true;
        }

        return false;
    }

    /// <summary>The policy of the request's namespace, read from the store; null when there is no such namespace (NamespaceLifecycle says so).</summary>
    private async Task<(Policy, IReadOnlyList<FieldError>)?> NamespacePolicyAsync(AdmissionRequest request, CancellationToken cancellationToken)
    {
        if (request.Namespace is null
            || await ObjectCodec.ReadAsync(store, Definition("namespaces"), null, request.Namespace, cancellationToken) is not V1Namespace ns)
        {
            return null;
        }

        return Policy.FromLabels(ns.Metadata.Labels, configuration.Defaults);
    }

    private static void ThrowIfInvalid(AdmissionRequest request, IReadOnlyList<FieldError> errors)
    {
        if (errors.Count > 0)
        {
            throw ApiErrors.Invalid("Namespace", "", request.Name, errors);
        }
    }

    private ResourceDefinition Definition(string plural) => catalog.Find("", "v1", plural)!;
}
