using Microsoft.AspNetCore.Http;
using Navarch.Api;
using Navarch.ApiServer.Authorization;
using Navarch.ApiServer.Http;

namespace Navarch.ApiServer.Authentication;

/// <summary>
/// Kubernetes' impersonation filter (k8s.io/apiserver endpoints/filters/impersonation.go), run after authentication:
/// <c>Impersonate-User</c> (a service account's username impersonates the service account), <c>Impersonate-Group</c>,
/// <c>Impersonate-Uid</c> and <c>Impersonate-Extra-&lt;key&gt;</c> make the request act as that user, once the caller
/// is authorized for the <c>impersonate</c> verb on each: users, groups or serviceaccounts (core group), uids or
/// userextras/&lt;key&gt; (authentication.k8s.io). The impersonated user is in <c>system:authenticated</c> unless the
/// groups asked for say otherwise. This is what <c>kubectl --as</c> and <c>--as-group</c> send.
/// </summary>
internal sealed class Impersonation(IAuthorizer authorizer)
{
    private const string UserHeader = "Impersonate-User";
    private const string GroupHeader = "Impersonate-Group";
    private const string UidHeader = "Impersonate-Uid";
    private const string ExtraHeaderPrefix = "Impersonate-Extra-";
    private const string AuthenticationGroup = "authentication.k8s.io";
    private const string ServiceAccountPrefix = "system:serviceaccount:";

    /// <summary>
    /// The user the request acts as: <paramref name="requestor"/> when it asks for no impersonation, else the
    /// impersonated one. Throws a 400 for groups, extras or a uid without a user, and a 403 for what the caller may not
    /// impersonate.
    /// </summary>
    public async Task<UserInfo> ActAsAsync(IHeaderDictionary headers, UserInfo requestor, CancellationToken cancellationToken)
    {
        List<Target> targets = Targets(headers);
        if (targets.Count == 0)
        {
            return requestor;
        }

        bool groupsSpecified = headers[GroupHeader].Count > 0;
        string username = "";
        string uid = "";
        var groups = new List<string>();
        var extra = new Dictionary<string, IReadOnlyList<string>>(StringComparer.Ordinal);
        foreach (Target target in targets)
        {
            RequestAttributes actingAs;
            switch (target.Kind)
            {
                case TargetKind.ServiceAccount:
                    actingAs = new RequestAttributes(requestor, "impersonate", "", "serviceaccounts", null, target.Namespace, target.Name);
                    username = ServiceAccountPrefix + target.Namespace + ":" + target.Name;
                    if (!groupsSpecified)
                    {
                        groups = ["system:serviceaccounts", "system:serviceaccounts:" + target.Namespace];
                    }

                    break;
                case TargetKind.User:
                    actingAs = new RequestAttributes(requestor, "impersonate", "", "users", null, null, target.Name);
                    username = target.Name;
                    break;
                case TargetKind.Group:
                    actingAs = new RequestAttributes(requestor, "impersonate", "", "groups", null, null, target.Name);
                    groups.Add(target.Name);
                    break;
                case TargetKind.UserExtra:
                    actingAs = new RequestAttributes(requestor, "impersonate", AuthenticationGroup, "userextras", target.Key, null, target.Name);
                    extra[target.Key!] = [.. extra.GetValueOrDefault(target.Key!) ?? [], target.Name];
                    break;
                default:
                    actingAs = new RequestAttributes(requestor, "impersonate", AuthenticationGroup, "uids", null, null, target.Name);
                    uid = target.Name;
                    break;
            }

            if (await authorizer.AuthorizeAsync(actingAs, cancellationToken) is { } reason)
            {
                throw ForbiddenStatus.For(actingAs, reason);
            }
        }

        if (username != "system:anonymous")
        {
            if (!groups.Contains("system:authenticated") && !groups.Contains("system:unauthenticated"))
            {
                groups.Add("system:authenticated");
            }
        }
        else if (!groups.Contains("system:unauthenticated"))
        {
            groups.Add("system:unauthenticated");
        }

        return new UserInfo(username, uid, groups, extra.Count > 0 ? extra : null);
    }

    /// <summary>buildImpersonationRequests: what the headers ask to impersonate, each to be authorized.</summary>
    private static List<Target> Targets(IHeaderDictionary headers)
    {
        var targets = new List<Target>();
        string user = headers[UserHeader].FirstOrDefault() ?? "";
        if (user.Length > 0)
        {
            targets.Add(SplitServiceAccount(user) is { } account
                ? new Target(TargetKind.ServiceAccount, account.Name, account.Namespace, null)
                : new Target(TargetKind.User, user, null, null));
        }

        foreach (string? group in headers[GroupHeader])
        {
            targets.Add(new Target(TargetKind.Group, group ?? "", null, null));
        }

        foreach ((string header, Microsoft.Extensions.Primitives.StringValues values) in headers)
        {
            if (header.StartsWith(ExtraHeaderPrefix, StringComparison.OrdinalIgnoreCase))
            {
                string key = UnescapeExtraKey(header[ExtraHeaderPrefix.Length..].ToLowerInvariant());
                targets.AddRange(values.Select(value => new Target(TargetKind.UserExtra, value ?? "", null, key)));
            }
        }

        string uid = headers[UidHeader].FirstOrDefault() ?? "";
        if (uid.Length > 0)
        {
            targets.Add(new Target(TargetKind.Uid, uid, null, null));
        }

        if (user.Length == 0 && targets.Count > 0)
        {
            throw ApiErrors.BadRequest($"requested {string.Join(" ", targets.Select(t => t.Describe()))} without impersonating a user");
        }

        return targets;
    }

    /// <summary>serviceaccount.SplitUsername: <c>system:serviceaccount:&lt;ns&gt;:&lt;name&gt;</c>, both parts non-empty and without colons.</summary>
    private static (string Namespace, string Name)? SplitServiceAccount(string username)
    {
        if (!username.StartsWith(ServiceAccountPrefix, StringComparison.Ordinal))
        {
            return null;
        }

        string[] parts = username[ServiceAccountPrefix.Length..].Split(':');
        return parts.Length == 2 && parts[0].Length > 0 && parts[1].Length > 0 ? (parts[0], parts[1]) : null;
    }

    /// <summary>Extra keys may be %-encoded (keys with characters a header name cannot carry); a malformed one is kept as it is.</summary>
    private static string UnescapeExtraKey(string key)
    {
        try
        {
            return Uri.UnescapeDataString(key);
        }
        catch (UriFormatException)
        {
            return key;
        }
    }

    private enum TargetKind
    {
        ServiceAccount,
        User,
        Group,
        UserExtra,
        Uid,
    }

    private sealed record Target(TargetKind Kind, string Name, string? Namespace, string? Key)
    {
        // As Go prints the ObjectReference in the BadRequest message, near enough to be recognized.
        public string Describe() => $"{{{Kind} {Namespace} {Name} {Key}}}";
    }
}
