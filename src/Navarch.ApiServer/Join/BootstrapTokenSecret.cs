using System.Globalization;

namespace Navarch.ApiServer.Join;

/// <summary>The layout of a bootstrap token Secret (Kubernetes' <c>bootstrap.kubernetes.io/token</c>), shared by the server and the CLI.</summary>
public static class BootstrapTokenSecret
{
    /// <summary>The Secret type.</summary>
    public const string Type = "bootstrap.kubernetes.io/token";

    /// <summary>The namespace bootstrap token Secrets live in.</summary>
    public const string Namespace = "kube-system";

    /// <summary>The Secret name of token <paramref name="id"/>.</summary>
    public static string NameOf(string id) => "bootstrap-token-" + id;

    /// <summary>An RFC 3339 expiration in the past; no expiration never expires; an unreadable one counts as expired.</summary>
    public static bool IsExpired(string expiration, DateTimeOffset now) =>
        expiration.Length > 0
        && (!DateTimeOffset.TryParse(expiration, CultureInfo.InvariantCulture, DateTimeStyles.AssumeUniversal, out DateTimeOffset at) || at <= now);
}
