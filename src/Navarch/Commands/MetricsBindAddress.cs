using System.CommandLine;
using System.Net;

namespace Navarch.Commands;

/// <summary>
/// kube-proxy's <c>--metrics-bind-address</c>: IP:port of its plain-HTTP <c>/metrics</c> (127.0.0.1:10249 by default,
/// 0.0.0.0:10249 or [::]:10249 for every address), empty to serve none.
/// </summary>
internal static class MetricsBindAddress
{
    public const string Default = "127.0.0.1:10249";

    /// <summary>The flag under <paramref name="name"/>, refusing what is not IP:port.</summary>
    public static Option<string> Create(string name)
    {
        var option = new Option<string>(name) { Description = "IP:port of the proxy's plain-HTTP /metrics (0.0.0.0:10249 for every IPv4 address); empty serves none", DefaultValueFactory = _ => Default };
        option.Validators.Add(result =>
        {
            string value = result.GetValueOrDefault<string>() ?? "";
            if (value.Length > 0 && !TryParse(value, out _))
            {
                result.AddError($"{name}: '{value}' is not an IP:port such as 127.0.0.1:10249 or 0.0.0.0:10249");
            }
        });
        return option;
    }

    /// <summary>The endpoint the flag names, or null (serve none) when it is empty.</summary>
    public static IPEndPoint? Parse(string value) => value.Length == 0 ? null : TryParse(value, out IPEndPoint? endpoint) ? endpoint : throw new FormatException(value);

    // IPEndPoint.TryParse takes a bare address as port 0: an explicit port is required, as kube-proxy's IPPortVar.
    private static bool TryParse(string value, out IPEndPoint? endpoint) =>
        IPEndPoint.TryParse(value, out endpoint) && value.LastIndexOf(':') > value.LastIndexOf(']') && endpoint.Port > 0;
}
