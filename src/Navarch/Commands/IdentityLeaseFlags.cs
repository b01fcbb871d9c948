using System.CommandLine;
using Navarch.ApiServer;

namespace Navarch.Commands;

/// <summary>
/// kube-apiserver's <c>--identity-lease-duration-seconds</c> (3600) and <c>--identity-lease-renew-interval-seconds</c>
/// (10): the API server's identity Lease in <c>kube-system</c> and how often it is renewed.
/// </summary>
internal sealed class IdentityLeaseFlags
{
    private readonly Option<int> _duration = new("--identity-lease-duration-seconds") { Description = "The duration of the API server's identity lease in seconds, must be a positive number", DefaultValueFactory = _ => 3600 };
    private readonly Option<int> _renewInterval = new("--identity-lease-renew-interval-seconds") { Description = "The interval of the API server renewing its identity lease in seconds, must be a positive number", DefaultValueFactory = _ => 10 };

    public IdentityLeaseFlags()
    {
        Positive(_duration);
        Positive(_renewInterval);
    }

    public void AddTo(Command command)
    {
        command.Options.Add(_duration);
        command.Options.Add(_renewInterval);
    }

    /// <summary>
    /// The lease timings. Expired leases are looked for every IdentityLeaseGCPeriod (an hour, as kube-apiserver's
    /// default duration), or every lease duration when that is shorter, so a lease is collected at most one duration
    /// after it expired whatever the duration.
    /// </summary>
    public ApiServerLeaseOptions Options(ParseResult parse)
    {
        var defaults = new ApiServerLeaseOptions();
        TimeSpan duration = TimeSpan.FromSeconds(parse.GetValue(_duration));
        return defaults with
        {
            IdentityLeaseDuration = duration,
            IdentityLeaseRenewInterval = TimeSpan.FromSeconds(parse.GetValue(_renewInterval)),
            IdentityLeaseGcPeriod = duration < defaults.IdentityLeaseGcPeriod ? duration : defaults.IdentityLeaseGcPeriod,
        };
    }

    private static void Positive(Option<int> option) => option.Validators.Add(result =>
    {
        if (result.GetValueOrDefault<int>() is var value and <= 0)
        {
            // kube-apiserver's wording.
            result.AddError($"{option.Name} should be a positive number, but value '{value}' provided");
        }
    });
}
