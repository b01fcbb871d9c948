using k8s;
using k8s.Models;
using Navarch.Client.Informers;

namespace Navarch.Controllers.ValidatingAdmissionPolicyStatus;

/// <summary>
/// kube-controller-manager's validatingadmissionpolicy-status controller (pkg/controller/validatingadmissionpolicystatus):
/// each policy whose generation is newer than its <c>status.observedGeneration</c> is type-checked against the schemas
/// of the kinds it matches (<see cref="PolicyTypeChecker"/>) and gets <c>status.typeChecking.expressionWarnings</c> and
/// <c>status.observedGeneration</c>. The warnings only inform: they never change how the policy is enforced.
/// </summary>
public sealed class ValidatingAdmissionPolicyStatusController : QueueController
{
    private readonly Informer<V1ValidatingAdmissionPolicy> _policies;
    private readonly PolicyTypeChecker _typeChecker;

    /// <summary>Creates the controller over the shared ValidatingAdmissionPolicy informer.</summary>
    public ValidatingAdmissionPolicyStatusController(ControllerContext context)
        : base("validatingadmissionpolicy-status", context)
    {
        ArgumentNullException.ThrowIfNull(context);
        _typeChecker = new PolicyTypeChecker(context.Api);
        _policies = context.Informers.Get<V1ValidatingAdmissionPolicy>();
        _policies.AddHandler(new ResourceEventHandler<V1ValidatingAdmissionPolicy>(Enqueue, (_, _) => { }));
    }

    /// <inheritdoc />
    protected override async Task SyncAsync(string key, CancellationToken cancellationToken)
    {
        if (_policies.Store.Get(key) is not { } policy || (policy.Metadata.Generation ?? 0) <= (policy.Status?.ObservedGeneration ?? 0))
        {
            return;
        }

        IReadOnlyList<V1ExpressionWarning> warnings = await _typeChecker.CheckAsync(policy, cancellationToken).ConfigureAwait(false);
        V1ValidatingAdmissionPolicy updated = ModelCopies.Copy(policy);
        updated.Status ??= new V1ValidatingAdmissionPolicyStatus();
        updated.Status.ObservedGeneration = policy.Metadata.Generation;
        updated.Status.TypeChecking = new V1TypeChecking { ExpressionWarnings = warnings.Count == 0 ? null : [.. warnings] };
        await Client.AdmissionregistrationV1.ReplaceValidatingAdmissionPolicyStatusAsync(updated, key, cancellationToken: cancellationToken).ConfigureAwait(false);
    }
}
