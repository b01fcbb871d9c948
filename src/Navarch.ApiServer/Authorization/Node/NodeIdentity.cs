using Navarch.ApiServer.Http;

namespace Navarch.ApiServer.Authorization.Node;

/// <summary>
/// Which node a user is (Kubernetes' nodeidentifier): a member of <c>system:nodes</c> named <c>system:node:&lt;name&gt;</c>.
/// The Node authorizer and the NodeRestriction admission plugin judge only such users.
/// </summary>
internal static class NodeIdentity
{
    /// <summary>The group every kubelet's credentials carry.</summary>
    public const string NodesGroup = "system:nodes";

    /// <summary>The prefix of a kubelet's user name.</summary>
    public const string UserPrefix = "system:node:";

    /// <summary>
    /// True when <paramref name="user"/> is a node; <paramref name="nodeName"/> is then its name, which may be empty
    /// (a node credential that names no node, refused by both).
    /// </summary>
    public static bool TryGetNodeName(UserInfo? user, out string nodeName)
    {
        nodeName = "";
        if (user is null || !user.Name.StartsWith(UserPrefix, StringComparison.Ordinal) || !user.Groups.Contains(NodesGroup))
        {
            return false;
        }

        nodeName = user.Name[UserPrefix.Length..];
        return true;
    }
}
