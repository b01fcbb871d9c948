using System.Text.Json;
using System.Text.Json.Nodes;
using k8s.Models;
using Navarch.Api;

namespace Navarch.ApiServer.Registry.Authentication;

/// <summary>
/// <c>selfsubjectreviews</c> (pkg/registry/authentication/selfsubjectreview, <c>kubectl auth whoami</c>): the user the
/// request was authenticated (or is impersonated) as; nothing is stored.
/// </summary>
internal sealed class SelfSubjectReviewRest(TimeProvider time) : IRestCreater
{
    public Task<object> CreateAsync(RestRequest request, JsonNode body, CancellationToken cancellationToken)
    {
        // Read for its errors only: the review asks about the caller, nothing in it changes the answer.
        Http.RequestBody.Deserialize<V1SelfSubjectReview>(body);
        Http.UserInfo user = request.User;
        object answer = JsonSerializer.SerializeToNode(new V1SelfSubjectReview
        {
            ApiVersion = "authentication.k8s.io/v1",
            Kind = "SelfSubjectReview",
            Metadata = new V1ObjectMeta { CreationTimestamp = time.GetUtcNow().UtcDateTime },
            Status = new V1SelfSubjectReviewStatus { UserInfo = TokenReviewRest.ToUserInfo(user) },
        }, KubernetesSerialization.Plain)!;
        return Task.FromResult(answer);
    }
}
