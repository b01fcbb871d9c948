using System.Text.Json.Nodes;
using k8s.Models;
using Navarch.Api;
using Navarch.ApiServer.Authorization;

namespace Navarch.ApiServer.Registry.Authorization;

/// <summary>
/// <c>selfsubjectrulesreviews</c> (pkg/registry/authorization/selfsubjectrulesreview, <c>kubectl auth can-i --list</c>):
/// every rule the caller holds in the namespace the spec names, from the server's rule resolver; nothing is stored.
/// </summary>
internal sealed class SelfSubjectRulesReviewRest(IRuleResolver resolver) : IRestCreater
{
    public async Task<object> CreateAsync(RestRequest request, JsonNode body, CancellationToken cancellationToken)
    {
        V1SelfSubjectRulesReview review = Http.RequestBody.Deserialize<V1SelfSubjectRulesReview>(body);
        string ns = review.Spec?.NamespaceProperty ?? "";
        if (ns.Length == 0)
        {
            throw ApiErrors.BadRequest("no namespace on request");
        }

        SubjectRules rules = await resolver.RulesForAsync(request.User, ns, cancellationToken);
        return AccessReviews.Answer(new V1SelfSubjectRulesReview
        {
            ApiVersion = "authorization.k8s.io/v1",
            Kind = "SelfSubjectRulesReview",
            Metadata = new V1ObjectMeta(),
            Spec = new V1SelfSubjectRulesReviewSpec(),
            Status = new V1SubjectRulesReviewStatus
            {
                ResourceRules = [.. rules.ResourceRules],
                NonResourceRules = [.. rules.NonResourceRules],
                Incomplete = rules.Incomplete,
                EvaluationError = rules.EvaluationError,
            },
        });
    }
}
