using System.Net;
using k8s.Autorest;

namespace Navarch.Testing;

/// <summary>Reads of objects that may not exist (yet, or any more): a 404 is an answer, not an error.</summary>
public static class Absent
{
    /// <summary>The object <paramref name="read"/> returns, or null when the API server answers 404 Not Found.</summary>
    public static async Task<T?> OrNullAsync<T>(Func<Task<T>> read)
        where T : class
    {
        try
        {
            return await read();
        }
        catch (HttpOperationException e) when (e.Response.StatusCode == HttpStatusCode.NotFound)
        {
            return null;
        }
    }
}
