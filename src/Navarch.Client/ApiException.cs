namespace Navarch.Client;

/// <summary>The API server answered with an error status.</summary>
public sealed class ApiException(int code, string body) : Exception($"{code}: {body}")
{
    /// <summary>The HTTP status code.</summary>
    public int Code { get; } = code;
}
