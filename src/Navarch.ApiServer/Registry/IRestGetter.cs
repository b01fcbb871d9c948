namespace Navarch.ApiServer.Registry;

/// <summary>A storage that serves GET on one object (k8s.io/apiserver's <c>rest.Getter</c>).</summary>
internal interface IRestGetter
{
    /// <summary>The object (or the subresource's view of it) to send back with 200.</summary>
    Task<object> GetAsync(RestRequest request, CancellationToken cancellationToken);
}
