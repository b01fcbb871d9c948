using Navarch.ApiServer.Identity;

namespace Navarch.ApiServer.Tests.Identity;

/// <summary>An API server's id: kube-apiserver's form (a hash in lowercase base32), stable per host and data dir.</summary>
[Trait("Category", "Unit")]
public sealed class ApiServerIdentityTests
{
    [Fact]
    public void The_id_is_the_first_16_bytes_of_a_sha256_of_the_host_and_the_data_dir_in_lowercase_unpadded_base32()
    {
        // Computed apart (Python's hashlib and base64.b32encode) from "navarch-host\n/var/lib/navarch".
        Assert.Equal("kube-apiserver-srjslvwxmpt5hsalszrxii3vru", ApiServerIdentity.Of("navarch-host", "/var/lib/navarch"));
    }

    [Fact]
    public void Two_servers_on_one_host_differ_and_a_restarted_one_keeps_its_id()
    {
        Assert.Equal(ApiServerIdentity.Of("h", "/srv/a"), ApiServerIdentity.Of("h", "/srv/a/"[..^1]));
        Assert.NotEqual(ApiServerIdentity.Of("h", "/srv/a"), ApiServerIdentity.Of("h", "/srv/b"));
        Assert.NotEqual(ApiServerIdentity.Of("h", "/srv/a"), ApiServerIdentity.Of("g", "/srv/a"));
        Assert.Matches("^kube-apiserver-[a-z2-7]{26}$", ApiServerIdentity.Of("h", "/srv/a"));
    }
}
