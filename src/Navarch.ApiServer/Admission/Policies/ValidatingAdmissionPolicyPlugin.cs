using System.Collections.Concurrent;
using System.Text.Json;
using System.Text.Json.Nodes;
using k8s;
using k8s.Models;
using Navarch.Api;
using Navarch.Api.Cel;
using Navarch.Api.Resources;
using Navarch.ApiServer.Admission.Webhooks;
using Navarch.ApiServer.Registry;

namespace Navarch.ApiServer.Admission.Policies;

/// <summary>
/// Kubernetes' ValidatingAdmissionPolicy plugin: each ValidatingAdmissionPolicyBinding applies its policy to the
/// requests both the policy's matchConstraints and the binding's matchResources select (rules, excluded rules,
/// namespace and object selectors, matchConditions), once per parameter object its paramRef finds (or none without a
/// paramKind). A validation that is false — or fails under failurePolicy Fail — is acted on by the binding's
/// validationActions: Deny refuses the request (the first denial, with Kubernetes' wording and the validation's reason),
/// Warn returns a warning, Audit records an audit annotation. Policies, bindings and params come from watch caches.
/// </summary>
internal sealed class ValidatingAdmissionPolicyPlugin(WatchCaches caches, ResourceCatalog catalog, AdmissionSelectors selectors) : IAdmissionPlugin
{
    private const string Group = "admissionregistration.k8s.io";

    private readonly DecodedLister<V1ValidatingAdmissionPolicy> _policies = new(caches, catalog.Find(Group, "v1", "validatingadmissionpolicies")!);
    private readonly DecodedLister<V1ValidatingAdmissionPolicyBinding> _bindings = new(caches, catalog.Find(Group, "v1", "validatingadmissionpolicybindings")!);
    private readonly DecodedLister<V1Namespace> _namespaces = new(caches, catalog.Find("", "v1", "namespaces")!);
    private readonly ConcurrentDictionary<ResourceDefinition, DecodedLister<IKubernetesObject<V1ObjectMeta>>> _params = new();

    public string Name => "ValidatingAdmissionPolicy";

    public bool Mutating => false;

    public async ValueTask AdmitAsync(AdmissionRequest request, CancellationToken cancellationToken)
    {
        IReadOnlyList<V1ValidatingAdmissionPolicyBinding> bindings = await _bindings.ListAsync(null, cancellationToken);
        if (bindings.Count == 0)
        {
            return;
        }

        IReadOnlyList<V1ValidatingAdmissionPolicy> policies = await _policies.ListAsync(null, cancellationToken);
        Dictionary<string, JsonNode?>? variables = null;
        foreach (V1ValidatingAdmissionPolicyBinding binding in bindings)
        {
            V1ValidatingAdmissionPolicy? policy = policies.FirstOrDefault(p => p.Metadata.Name == binding.Spec?.PolicyName);
            if (policy?.Spec?.MatchConstraints is not { } constraints
                || !await MatchesAsync(constraints, request, rulesRequired: true, cancellationToken)
                || (binding.Spec.MatchResources is { } narrower && !await MatchesAsync(narrower, request, rulesRequired: false, cancellationToken)))
            {
                continue;
            }

            variables ??= await VariablesAsync(request, cancellationToken);
            foreach ((string message, string? reason) in await EvaluateAsync(policy, binding, request, variables, cancellationToken))
            {
                Act(policy, binding, request, message, reason);
            }
        }
    }

    /// <summary>The failed validations of <paramref name="policy"/> under <paramref name="binding"/>: message and reason each.</summary>
    private async Task<List<(string Message, string? Reason)>> EvaluateAsync(
        V1ValidatingAdmissionPolicy policy, V1ValidatingAdmissionPolicyBinding binding, AdmissionRequest request, Dictionary<string, JsonNode?> variables, CancellationToken cancellationToken)
    {
        bool failClosed = policy.Spec.FailurePolicy != "Ignore";
        var failures = new List<(string, string?)>();
        (IReadOnlyList<JsonNode?> paramSets, string? paramError) = await ParamsAsync(policy, binding, request, cancellationToken);
        if (paramError is not null)
        {
            if (failClosed)
            {
                failures.Add((paramError, null));
            }

            return failures;
        }

        foreach (JsonNode? param in paramSets)
        {
            var bound = new Dictionary<string, JsonNode?>(variables, StringComparer.Ordinal) { ["params"] = param };
            string[] declared = AdmissionCel.PolicyVariables;
            if (policy.Spec.MatchConditions is { Count: > 0 } conditions)
            {
                (bool matches, string? error) = AdmissionCel.MatchConditions(conditions.Select(c => (c.Name, c.Expression)), declared, bound);
                if (error is not null && failClosed)
                {
                    failures.Add((error, null));
                }

                if (!matches)
                {
                    continue;
                }
            }

            foreach (V1Validation validation in policy.Spec.Validations ?? [])
            {
                (CelProgram? program, string? compileError) = AdmissionCel.Compile(validation.Expression, declared);
                CelEvaluation? result = program?.Evaluate(bound);
                if (program is null || !result!.Succeeded || result.AsBool is null)
                {
                    if (failClosed)
                    {
                        string why = compileError ?? result?.Error ?? "must evaluate to bool";
                        failures.Add(($"expression '{validation.Expression}' resulted in error: {why}", null));
                    }

                    continue;
                }

                if (result.AsBool == false)
                {
                    failures.Add((Message(validation, bound), validation.Reason));
                }
            }
        }

        return failures;
    }

    /// <summary>The message of a failed validation: message, else a non-empty messageExpression result, else the expression.</summary>
    private static string Message(V1Validation validation, Dictionary<string, JsonNode?> variables)
    {
        if (!string.IsNullOrEmpty(validation.MessageExpression)
            && AdmissionCel.Compile(validation.MessageExpression, AdmissionCel.PolicyVariables).Program?.Evaluate(variables).AsString is { } expressed
            && !string.IsNullOrWhiteSpace(expressed) && !expressed.Contains('\n', StringComparison.Ordinal))
        {
            return expressed;
        }

        return !string.IsNullOrEmpty(validation.Message) ? validation.Message : $"failed expression: {validation.Expression}";
    }

    /// <summary>What the binding's validationActions do with one failure.</summary>
    private static void Act(V1ValidatingAdmissionPolicy policy, V1ValidatingAdmissionPolicyBinding binding, AdmissionRequest request, string message, string? reason)
    {
        IList<string> actions = binding.Spec.ValidationActions ?? [];
        if (actions.Contains("Warn"))
        {
            request.AddWarning($"Validation failed for ValidatingAdmissionPolicy '{policy.Metadata.Name}' with binding '{binding.Metadata.Name}': {message}");
        }

        if (actions.Contains("Audit"))
        {
            request.AddAuditAnnotation("validation.policy.admission.k8s.io/validation_failure", JsonSerializer.Serialize(new[]
            {
                new { message, policy = policy.Metadata.Name, binding = binding.Metadata.Name, expressionIndex = 0, validationActions = actions },
            }));
        }

        if (actions.Contains("Deny"))
        {
            throw Denied(policy, binding, request, message, reason);
        }
    }

    /// <summary>Kubernetes' denial: <c>admission.NewForbidden</c> with the validation's reason (Invalid by default) and its code.</summary>
    private static StatusException Denied(V1ValidatingAdmissionPolicy policy, V1ValidatingAdmissionPolicyBinding binding, AdmissionRequest request, string message, string? reason)
    {
        string denial = $"ValidatingAdmissionPolicy '{policy.Metadata.Name}' with binding '{binding.Metadata.Name}' denied request: {message}";
        string name = request.Name;
        reason = string.IsNullOrEmpty(reason) ? "Invalid" : reason;
        return new StatusException(new V1Status
        {
            ApiVersion = "v1",
            Kind = "Status",
            Status = "Failure",
            Code = reason switch { "Forbidden" => 403, "RequestEntityTooLarge" => 413, "Unauthorized" => 401, _ => 422 },
            Reason = reason,
            Message = $"{request.Resource.GroupResource} \"{name}\" is forbidden: {denial}",
            Details = new V1StatusDetails { Group = request.Resource.Group, Kind = request.Resource.Plural, Name = name, Causes = [new V1StatusCause { Message = denial }] },
        });
    }

    /// <summary>
    /// matchConstraints / matchResources: resource rules minus excluded ones (by matchPolicy), and the selectors. A
    /// binding's matchResources without resource rules narrows by its selectors only.
    /// </summary>
    private async Task<bool> MatchesAsync(V1MatchResources match, AdmissionRequest request, bool rulesRequired, CancellationToken cancellationToken)
    {
        IEnumerable<ResourceDefinition> candidates = match.MatchPolicy == "Exact"
            ? [request.Resource]
            : catalog.All.Where(d => d == request.Resource || d.StoragePrefix == request.Resource.StoragePrefix);
        List<ResourceDefinition> resources = candidates.ToList();
        bool included = (!rulesRequired && (match.ResourceRules ?? []).Count == 0) || (match.ResourceRules ?? []).Any(r => resources.Any(d => AdmissionRules.Matches(r, request, d)));
        bool excluded = (match.ExcludeResourceRules ?? []).Any(r => AdmissionRules.Matches(r, request, request.Resource));
        return included && !excluded
            && AdmissionSelectors.ObjectMatches(match.ObjectSelector, request)
            && await selectors.NamespaceMatchesAsync(match.NamespaceSelector, request, cancellationToken);
    }

    private async Task<Dictionary<string, JsonNode?>> VariablesAsync(AdmissionRequest request, CancellationToken cancellationToken)
    {
        Dictionary<string, JsonNode?> variables = AdmissionCel.Variables(request, request.Resource);
        variables["namespaceObject"] = string.IsNullOrEmpty(request.Namespace)
            ? null
            : AdmissionCel.ToNode(await _namespaces.GetAsync(null, request.Namespace, cancellationToken));
        variables["params"] = null;
        return variables;
    }

    /// <summary>
    /// The parameter objects of a binding (Kubernetes' paramRef): by name or selector, in paramRef's namespace or — for a
    /// namespaced kind without one — the request's; none found is allowed or denied by parameterNotFoundAction.
    /// </summary>
    private async Task<(IReadOnlyList<JsonNode?> Params, string? Error)> ParamsAsync(
        V1ValidatingAdmissionPolicy policy, V1ValidatingAdmissionPolicyBinding binding, AdmissionRequest request, CancellationToken cancellationToken)
    {
        if (policy.Spec.ParamKind is not { } kind)
        {
            return ([null], null);
        }

        V1ParamRef? paramRef = binding.Spec.ParamRef;
        ResourceDefinition? definition = catalog.All.FirstOrDefault(d => d.ApiVersion == kind.ApiVersion && d.Kind == kind.Kind && d.Converter is null)
            ?? catalog.All.FirstOrDefault(d => d.ApiVersion == kind.ApiVersion && d.Kind == kind.Kind);
        if (definition is null || paramRef is null)
        {
            return ([], definition is null
                ? $"failed to configure policy: failed to find resource referenced by paramKind: '{kind.ApiVersion}, Kind={kind.Kind}'"
                : "failed to configure binding: no paramRef specified");
        }

        string? ns = null;
        if (definition.Namespaced)
        {
            ns = !string.IsNullOrEmpty(paramRef.NamespaceProperty) ? paramRef.NamespaceProperty : request.Namespace;
            if (string.IsNullOrEmpty(ns))
            {
                return ([], "failed to configure binding: cannot use namespaced paramRef in policy binding that matches cluster-scoped resources");
            }
        }

        DecodedLister<IKubernetesObject<V1ObjectMeta>> lister = _params.GetOrAdd(definition, d => new DecodedLister<IKubernetesObject<V1ObjectMeta>>(caches, d));
        IReadOnlyList<IKubernetesObject<V1ObjectMeta>> all = await lister.ListAsync(ns, cancellationToken);
        List<JsonNode?> found = !string.IsNullOrEmpty(paramRef.Name)
            ? all.Where(o => o.Metadata.Name == paramRef.Name).Select(o => AdmissionCel.ToNode(o)).ToList()
            : all.Where(o => paramRef.Selector is null || Api.Selectors.LabelSelectorExtensions.Matches(paramRef.Selector, o.Metadata.Labels)).Select(o => AdmissionCel.ToNode(o)).ToList();
        if (found.Count > 0)
        {
            return (found, null);
        }

        return paramRef.ParameterNotFoundAction == "Deny"
            ? ([], "failed to configure binding: no params found for policy binding with `Deny` parameterNotFoundAction")
            : ([], null);
    }
}
