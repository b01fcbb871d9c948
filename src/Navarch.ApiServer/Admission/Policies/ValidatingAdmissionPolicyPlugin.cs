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
        var denials = new List<PolicyDenial>();
        var inputsByVersion = new Dictionary<ResourceDefinition, Dictionary<string, JsonNode?>>();
        foreach (V1ValidatingAdmissionPolicy policy in policies.OrderBy(p => p.Metadata.Name, StringComparer.Ordinal))
        {
            List<V1ValidatingAdmissionPolicyBinding> bound = bindings.Where(b => b.Spec?.PolicyName == policy.Metadata.Name).OrderBy(b => b.Metadata.Name, StringComparer.Ordinal).ToList();
            if (bound.Count == 0 || policy.Spec?.MatchConstraints is not { } constraints
                || await MatchedResourceAsync(constraints, request, cancellationToken) is not { } matched)
            {
                continue;
            }

            bool failClosed = policy.Spec.FailurePolicy != "Ignore";
            Dictionary<string, JsonNode?>? inputs = inputsByVersion.GetValueOrDefault(matched);
            if (ParamDefinition(policy) is { Error: { } configurationError })
            {
                if (failClosed)
                {
                    denials.Add(new PolicyDenial(policy, null, "failed to configure policy: " + configurationError, null));
                }

                continue;
            }

            var annotations = new AuditAnnotationCollector();
            foreach (V1ValidatingAdmissionPolicyBinding binding in bound)
            {
                if (binding.Spec.MatchResources is { } narrower && !await MatchesAsync(narrower, request, cancellationToken))
                {
                    continue;
                }

                if (inputs is null)
                {
                    try
                    {
                        inputsByVersion[matched] = inputs = await InputsAsync(request, matched, cancellationToken);
                    }
                    catch (StatusException e)
                    {
                        if (failClosed)
                        {
                            denials.Add(new PolicyDenial(policy, null, "failed to configure policy: failed to convert object version: " + e.Status.Message, null));
                        }

                        break;
                    }
                }

                (IReadOnlyList<JsonNode?> paramSets, string? paramError) = await ParamsAsync(policy, binding, request, cancellationToken);
                if (paramError is not null)
                {
                    if (failClosed)
                    {
                        denials.Add(new PolicyDenial(policy, binding, "failed to configure binding: " + paramError, null));
                    }

                    continue;
                }

                foreach (JsonNode? param in paramSets)
                {
                    var composition = new VariableComposition(
                        policy.Spec.Variables?.ToList(),
                        AdmissionCel.PolicyVariables,
                        new Dictionary<string, JsonNode?>(inputs, StringComparer.Ordinal) { ["params"] = param?.DeepClone() });
                    PolicyValidation result = PolicyValidation.Validate(policy.Spec, composition);
                    foreach (PolicyFailure failure in result.Failures)
                    {
                        Act(policy, binding, request, failure, denials);
                    }

                    foreach ((string key, string? value, string? error) in result.AuditAnnotations)
                    {
                        if (error is not null)
                        {
                            denials.Add(new PolicyDenial(policy, binding, error, null));
                        }
                        else if (value is not null)
                        {
                            annotations.Add(key, value);
                        }
                    }
                }
            }

            annotations.Publish(policy.Metadata.Name, request);
        }

        if (denials.Count > 0)
        {
            throw Denied(denials[0], request);
        }
    }

    /// <summary>What the binding's validationActions do with one failed validation (dispatcher.go's switch).</summary>
    private static void Act(V1ValidatingAdmissionPolicy policy, V1ValidatingAdmissionPolicyBinding binding, AdmissionRequest request, PolicyFailure failure, List<PolicyDenial> denials)
    {
        IList<string> actions = binding.Spec.ValidationActions ?? [];
        foreach (string action in actions)
        {
            switch (action)
            {
                case "Deny":
                    denials.Add(new PolicyDenial(policy, binding, failure.Message, failure.Reason));
                    break;
                case "Audit":
                    request.AddAuditAnnotation("validation.policy.admission.k8s.io/validation_failure", JsonSerializer.Serialize(new[]
                    {
                        new { message = failure.Message, policy = binding.Spec.PolicyName, binding = binding.Metadata.Name, expressionIndex = failure.Index, validationActions = actions },
                    }));
                    break;
                case "Warn":
                    request.AddWarning($"Validation failed for ValidatingAdmissionPolicy '{policy.Metadata.Name}' with binding '{binding.Metadata.Name}': {failure.Message}");
                    break;
            }
        }
    }

    /// <summary>Kubernetes' denial of the first denied decision: <c>admission.NewForbidden</c> with its reason (Invalid by default) and code.</summary>
    private static StatusException Denied(PolicyDenial denial, AdmissionRequest request)
    {
        string message = denial.Binding is null
            ? $"ValidatingAdmissionPolicy '{denial.Policy.Metadata.Name}' denied request: {denial.Message}"
            : $"ValidatingAdmissionPolicy '{denial.Policy.Metadata.Name}' with binding '{denial.Binding.Metadata.Name}' denied request: {denial.Message}";
        string name = request.Name;
        string reason = string.IsNullOrEmpty(denial.Reason) ? "Invalid" : denial.Reason;
        return new StatusException(new V1Status
        {
            ApiVersion = "v1",
            Kind = "Status",
            Status = "Failure",
            Code = reason switch { "Forbidden" => 403, "RequestEntityTooLarge" => 413, "Unauthorized" => 401, _ => 422 },
            Reason = reason,
            Message = $"{request.Resource.GroupResource} \"{name}\" is forbidden: {message}",
            Details = new V1StatusDetails { Group = request.Resource.Group, Kind = request.Resource.Plural, Name = name, Causes = [new V1StatusCause { Message = message }] },
        });
    }

    /// <summary>
    /// The resource a policy's matchConstraints match the request on (matching.go's Matches): null when a selector does
    /// not match, an excludeResourceRule matches, or no resourceRule does; else the request's own resource or, under
    /// matchPolicy Equivalent, the same objects served in another group or version that a rule names.
    /// </summary>
    private async Task<ResourceDefinition?> MatchedResourceAsync(V1MatchResources match, AdmissionRequest request, CancellationToken cancellationToken) =>
        await SelectedAsync(match, request, cancellationToken) && MatchingResource(match.ExcludeResourceRules, match.MatchPolicy, request) is null
            ? MatchingResource(match.ResourceRules, match.MatchPolicy, request)
            : null;

    /// <summary>A binding's matchResources: without resource rules it narrows by its selectors and exclusions only.</summary>
    private async Task<bool> MatchesAsync(V1MatchResources match, AdmissionRequest request, CancellationToken cancellationToken) =>
        (match.ResourceRules ?? []).Count == 0
            ? await SelectedAsync(match, request, cancellationToken) && MatchingResource(match.ExcludeResourceRules, match.MatchPolicy, request) is null
            : await MatchedResourceAsync(match, request, cancellationToken) is not null;

    /// <summary>
    /// matching.go's matchesResourceRules, for resourceRules and excludeResourceRules alike: the request's resource when
    /// a rule names it, else under matchPolicy Equivalent (the default) an equivalent resource a rule names — so an
    /// excluded resource stays excluded when it is reached through another group or version.
    /// </summary>
    private ResourceDefinition? MatchingResource(IList<V1NamedRuleWithOperations>? rules, string? matchPolicy, AdmissionRequest request)
    {
        if (rules is not { Count: > 0 })
        {
            return null;
        }

        if (rules.Any(r => AdmissionRules.Matches(r, request, request.Resource)))
        {
            return request.Resource;
        }

        return matchPolicy == "Exact"
            ? null
            : catalog.All.FirstOrDefault(d => d != request.Resource && d.StoragePrefix == request.Resource.StoragePrefix && rules.Any(r => AdmissionRules.Matches(r, request, d)));
    }

    /// <summary>The namespace and object selectors.</summary>
    private async Task<bool> SelectedAsync(V1MatchResources match, AdmissionRequest request, CancellationToken cancellationToken) =>
        AdmissionSelectors.ObjectMatches(match.ObjectSelector, request)
        && await selectors.NamespaceMatchesAsync(match.NamespaceSelector, request, cancellationToken);

    private async Task<Dictionary<string, JsonNode?>> InputsAsync(AdmissionRequest request, ResourceDefinition matched, CancellationToken cancellationToken)
    {
        Dictionary<string, JsonNode?> variables = await AdmissionCel.VariablesAsync(request, matched, cancellationToken);

        // A Namespace's own namespaceObject is null (dispatcher.go: "the namespace object has the namespace of itself").
        variables["namespaceObject"] = string.IsNullOrEmpty(request.Namespace) || request.Resource is { Group: "", Plural: "namespaces" }
            ? null
            : AdmissionCel.ToNode(await _namespaces.GetAsync(null, request.Namespace, cancellationToken));
        variables["params"] = null;
        return variables;
    }

    /// <summary>The served resource of the policy's paramKind, or the policy's configuration error.</summary>
    private (ResourceDefinition? Definition, string? Error) ParamDefinition(V1ValidatingAdmissionPolicy policy)
    {
        if (policy.Spec.ParamKind is not { } kind)
        {
            return (null, null);
        }

        ResourceDefinition? definition = catalog.All.FirstOrDefault(d => d.ApiVersion == kind.ApiVersion && d.Kind == kind.Kind && d.Converter is null)
            ?? catalog.All.FirstOrDefault(d => d.ApiVersion == kind.ApiVersion && d.Kind == kind.Kind);
        string groupVersion = kind.ApiVersion.Contains('/', StringComparison.Ordinal) ? kind.ApiVersion : "/" + kind.ApiVersion;
        return definition is null ? (null, $"failed to find resource referenced by paramKind: '{groupVersion}, Kind={kind.Kind}'") : (definition, null);
    }

    /// <summary>
    /// The parameter objects of a binding (generic.CollectParams): none needed without a paramKind or paramRef; by name
    /// or selector, in paramRef's namespace or — for a namespaced kind without one — the request's; none found is
    /// allowed or denied by parameterNotFoundAction.
    /// </summary>
    private async Task<(IReadOnlyList<JsonNode?> Params, string? Error)> ParamsAsync(
        V1ValidatingAdmissionPolicy policy, V1ValidatingAdmissionPolicyBinding binding, AdmissionRequest request, CancellationToken cancellationToken)
    {
        if (ParamDefinition(policy).Definition is not { } definition || binding.Spec.ParamRef is not { } paramRef)
        {
            return ([null], null);
        }

        string? ns = null;
        if (definition.Namespaced)
        {
            ns = !string.IsNullOrEmpty(paramRef.NamespaceProperty) ? paramRef.NamespaceProperty : request.Namespace;
            if (string.IsNullOrEmpty(ns))
            {
                return ([], "cannot use namespaced paramRef in policy binding that matches cluster-scoped resources");
            }
        }
        else if (!string.IsNullOrEmpty(paramRef.NamespaceProperty))
        {
            return ([], "paramRef.namespace must not be provided for a cluster-scoped `paramKind`");
        }

        if (string.IsNullOrEmpty(paramRef.Name) && paramRef.Selector is null)
        {
            return ([], "one of name or selector must be provided");
        }

        DecodedLister<IKubernetesObject<V1ObjectMeta>> lister = _params.GetOrAdd(definition, d => new DecodedLister<IKubernetesObject<V1ObjectMeta>>(caches, d));
        IReadOnlyList<IKubernetesObject<V1ObjectMeta>> all = await lister.ListAsync(ns, cancellationToken);
        List<JsonNode?> found = !string.IsNullOrEmpty(paramRef.Name)
            ? all.Where(o => o.Metadata.Name == paramRef.Name).Select(o => AdmissionCel.ToNode(o)).ToList()
            : all.Where(o => Api.Selectors.LabelSelectorExtensions.Matches(paramRef.Selector!, o.Metadata.Labels)).Select(o => AdmissionCel.ToNode(o)).ToList();
        if (found.Count > 0)
        {
            return (found, null);
        }

        return paramRef.ParameterNotFoundAction == "Deny"
            ? ([], "no params found for policy binding with `Deny` parameterNotFoundAction")
            : ([], null);
    }
}
