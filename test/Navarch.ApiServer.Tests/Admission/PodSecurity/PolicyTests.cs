using Navarch.Api;
using Navarch.ApiServer.Admission.PodSecurity;

namespace Navarch.ApiServer.Tests.Admission.PodSecurity;

/// <summary>The namespace labels to a policy, with Kubernetes' fallbacks for values that do not parse.</summary>
[Trait("Category", "Unit")]
public sealed class PolicyTests
{
    [Fact]
    public void Labels_set_each_mode_and_others_keep_the_defaults()
    {
        var defaults = new Policy(new LevelVersion(Level.Baseline, PolicyVersion.V1(30)), LevelVersion.PrivilegedLatest, LevelVersion.PrivilegedLatest);
        (Policy policy, IReadOnlyList<FieldError> errors) = Policy.FromLabels(new Dictionary<string, string>
        {
            ["pod-security.kubernetes.io/warn"] = "restricted",
            ["pod-security.kubernetes.io/warn-version"] = "v1.25",
            ["pod-security.kubernetes.io/audit"] = "baseline",
            ["unrelated"] = "x",
        }, defaults);
        Assert.Empty(errors);
        Assert.Equal("baseline:v1.30", policy.Enforce.ToString());
        Assert.Equal("baseline:latest", policy.Audit.ToString());
        Assert.Equal("restricted:v1.25", policy.Warn.ToString());
        Assert.Same(defaults, Policy.FromLabels(null, defaults).Policy);
    }

    [Fact]
    public void Bad_values_are_errors_and_fall_back_closed_for_enforce_and_open_for_audit_and_warn()
    {
        (Policy policy, IReadOnlyList<FieldError> errors) = Policy.FromLabels(new Dictionary<string, string>
        {
            ["pod-security.kubernetes.io/enforce"] = "strict",
            ["pod-security.kubernetes.io/enforce-version"] = "1.25",
            ["pod-security.kubernetes.io/warn"] = "loud",
            ["pod-security.kubernetes.io/audit-version"] = "v1.025",
        }, Policy.Privileged);
        Assert.Equal("restricted:latest", policy.Enforce.ToString());
        Assert.Equal("privileged:latest", policy.Warn.ToString());
        Assert.Equal(
        [
            "metadata.labels[pod-security.kubernetes.io/enforce]: Invalid value: \"strict\": must be one of privileged, baseline, restricted",
            "metadata.labels[pod-security.kubernetes.io/enforce-version]: Invalid value: \"1.25\": must be \"latest\" or \"v1.x\"",
            "metadata.labels[pod-security.kubernetes.io/audit-version]: Invalid value: \"v1.025\": must be \"latest\" or \"v1.x\"",
            "metadata.labels[pod-security.kubernetes.io/warn]: Invalid value: \"loud\": must be one of privileged, baseline, restricted",
        ], errors.Select(e => e.ToString()));
    }

    [Theory]
    [InlineData("latest", "latest")]
    [InlineData("v1.0", "v1.0")]
    [InlineData("v1.32", "v1.32")]
    [InlineData("v1.100", "v1.100")]
    [InlineData("v2.0", null)]
    [InlineData("v1.", null)]
    [InlineData("v1.01", null)]
    [InlineData("Latest", null)]
    public void Versions_parse_as_latest_or_v1_minor(string value, string? expected) => Assert.Equal(expected, PolicyVersion.Parse(value)?.ToString());
}
