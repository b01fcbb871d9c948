using System.Text;
using k8s;
using k8s.Models;

namespace Navarch.Client.Delegation;

/// <summary>
/// Requests authorized by the API server with a SubjectAccessReview, as a component with
/// <c>--authorization-kubeconfig</c> or the kubelet's <c>--authorization-mode=Webhook</c> authorizes them. Allowed
/// answers are kept for <c>allowedTtl</c> and denied ones for <c>deniedTtl</c> (the kubelet's 5 minutes and 30
/// seconds; zero keeps none).
/// </summary>
public sealed class DelegatingAuthorizer
{
    private readonly IKubernetes _client;
    private readonly TimeSpan _allowedTtl;
    private readonly TimeSpan _deniedTtl;
    private readonly ReviewCache<bool> _cache;

    /// <summary>Creates an authorizer asking <paramref name="client"/>'s API server.</summary>
    public DelegatingAuthorizer(IKubernetes client, TimeSpan allowedTtl, TimeSpan deniedTtl, TimeProvider? time = null)
    {
        _client = client;
        _allowedTtl = allowedTtl;
        _deniedTtl = deniedTtl;
        _cache = new ReviewCache<bool>(time ?? TimeProvider.System);
    }

    /// <summary>Whether <paramref name="user"/> may do what <paramref name="resource"/> or <paramref name="nonResource"/> (one of them) says.</summary>
    public async Task<bool> AllowedAsync(V1UserInfo user, V1ResourceAttributes? resource, V1NonResourceAttributes? nonResource, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(user);
        string key = Key(user, resource, nonResource);
        if (_cache.TryGet(key, out bool cached))
        {
            return cached;
        }

        V1SubjectAccessReview review = await _client.AuthorizationV1.CreateSubjectAccessReviewAsync(
            new V1SubjectAccessReview
            {
                Spec = new V1SubjectAccessReviewSpec
                {
                    User = user.Username,
                    Groups = user.Groups,
                    Uid = user.Uid,
                    Extra = user.Extra,
                    ResourceAttributes = resource,
                    NonResourceAttributes = nonResource,
                },
            },
            cancellationToken: cancellationToken).ConfigureAwait(false);
        bool allowed = review.Status?.Allowed == true;
        _cache.Add(key, allowed, allowed ? _allowedTtl : _deniedTtl);
        return allowed;
    }

    private static string Key(V1UserInfo user, V1ResourceAttributes? resource, V1NonResourceAttributes? nonResource)
    {
        // Length-prefixed fields, so no user name or path can be read as another field.
        var key = new StringBuilder();
        void Add(string? value) => key.Append(value?.Length ?? -1).Append(':').Append(value);
        Add(user.Username);
        Add(user.Uid);
        foreach (string group in user.Groups ?? [])
        {
            Add(group);
        }

        key.Append('|');
        foreach ((string name, IList<string> values) in user.Extra ?? new Dictionary<string, IList<string>>())
        {
            Add(name);
            foreach (string value in values)
            {
                Add(value);
            }
        }

        key.Append('|');
        Add(resource?.Verb);
        Add(resource?.Group);
        Add(resource?.Version);
        Add(resource?.Resource);
        Add(resource?.Subresource);
        Add(resource?.NamespaceProperty);
        Add(resource?.Name);
        Add(nonResource?.Verb);
        Add(nonResource?.Path);
        return key.ToString();
    }
}
