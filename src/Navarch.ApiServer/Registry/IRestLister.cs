namespace Navarch.ApiServer.Registry;

/// <summary>A storage that serves LIST itself rather than from the store (k8s.io/apiserver's <c>rest.Lister</c>).</summary>
internal interface IRestLister
{
    /// <summary>The collection, as one page.</summary>
    Task<ListPage> ListAsync(RestRequest request, CancellationToken cancellationToken);
}
