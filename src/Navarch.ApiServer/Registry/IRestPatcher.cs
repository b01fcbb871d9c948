namespace Navarch.ApiServer.Registry;

/// <summary>A storage that serves PATCH (k8s.io/apiserver's <c>rest.Patcher</c>).</summary>
internal interface IRestPatcher
{
    /// <summary>Applies <paramref name="patch"/> to the current object, retried on conflict; the result is sent back with 200.</summary>
    Task<object> PatchAsync(RestRequest request, PatchBody patch, CancellationToken cancellationToken);
}
