using k8s.Models;
using Navarch.Api.Strategies.Core;
using static Navarch.Api.Machinery.Tests.Strategies.StrategyHarness;

namespace Navarch.Api.Machinery.Tests.Strategies.Core;

[Trait("Category", "Unit")]
public sealed class SecretStrategyTests
{
    public static TheoryData<string, Dictionary<string, string>, string, string> WellKnownTypes => new()
    {
        { "kubernetes.io/dockerconfigjson", [], "data[.dockerconfigjson]", "Required value" },
        { "kubernetes.io/dockerconfigjson", new() { [".dockerconfigjson"] = "{not json" }, "data[.dockerconfigjson]", "<secret contents redacted>" },
        { "kubernetes.io/tls", new() { ["tls.crt"] = "x" }, "data[tls.key]", "Required value" },
        { "kubernetes.io/basic-auth", [], "data[username]", "Required value" },
        { "kubernetes.io/ssh-auth", [], "data[ssh-privatekey]", "Required value" },
        { "kubernetes.io/service-account-token", [], "metadata.annotations[kubernetes.io/service-account.name]", "Required value" },
        { "Opaque", new() { ["big"] = new string('x', 1024 * 1024 + 1) }, "data", "must have at most 1048576 bytes" },
    };

    [Theory]
    [MemberData(nameof(WellKnownTypes))]
    public void Secrets_of_well_known_types_need_their_keys(string type, Dictionary<string, string> stringData, string field, string detail)
    {
        var secret = new V1Secret { Metadata = new V1ObjectMeta { Name = "bad" }, Type = type, StringData = stringData };
        AssertInvalid(Create(SecretStrategy.Create(), secret), field, detail);
    }
}
