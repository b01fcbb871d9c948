namespace Navarch.ApiServer.Http;

/// <summary>
/// The authenticated user of the request being served, flowing with its asynchronous calls the way Kubernetes
/// carries it in the request's context (request.WithUser / UserFrom), so that admission plugins deep in a registry
/// write know who asks without every REST signature passing it along. Null outside a request (the server's own
/// bootstrap writes).
/// </summary>
internal static class RequestContext
{
    private static readonly AsyncLocal<UserInfo?> CurrentUser = new();

    /// <summary>The user, set by the pipeline once authenticated.</summary>
    public static UserInfo? User
    {
        get => CurrentUser.Value;
        set => CurrentUser.Value = value;
    }
}
