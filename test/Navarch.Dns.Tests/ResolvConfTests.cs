using System.Net;

namespace Navarch.Dns.Tests;

/// <summary>Upstream lists: --dns-upstream values and resolv.conf files.</summary>
[Trait("Category", "Unit")]
public sealed class ResolvConfTests
{
    [Fact]
    public void Upstreams_parse_addresses_ports_and_resolv_conf_files()
    {
        string file = Path.GetTempFileName();
        try
        {
            File.WriteAllLines(file, ["# generated", "search example.test", "nameserver 192.0.2.53", "nameserver 2001:db8::53", "nameserver not-an-ip"]);

            IReadOnlyList<IPEndPoint> upstreams = ResolvConf.Parse($"127.0.0.1:5353, 10.0.0.2 ,[::1]:5300,{file}");

            Assert.Equal(["127.0.0.1:5353", "10.0.0.2:53", "[::1]:5300", "192.0.2.53:53", "[2001:db8::53]:53"], upstreams.Select(u => u.ToString()));
        }
        finally
        {
            File.Delete(file);
        }
    }

    [Fact]
    public void A_missing_resolv_conf_gives_no_upstreams_and_garbage_is_rejected()
    {
        Assert.Empty(ResolvConf.Nameservers("/nonexistent/resolv.conf"));
        Assert.Throws<FormatException>(() => ResolvConf.Parse("dns.example.test"));
    }

    [Theory]
    [InlineData("10-42-0-7", "10.42.0.7")]
    [InlineData("fd00--1", "fd00::1")]
    [InlineData("2001-db8-0-0-0-0-0-5", "2001:db8::5")]
    [InlineData("10-42-0-256", null)]
    [InlineData("web-0", null)]
    public void Dashed_names_parse_to_addresses(string label, string? address)
    {
        Assert.Equal(address is null ? null : IPAddress.Parse(address), Navarch.Dns.Zone.ClusterZone.ParseDashed(label));
        if (address is not null)
        {
            Assert.Equal(address, Navarch.Dns.Zone.ClusterZone.ParseDashed(Navarch.Dns.Zone.ClusterZone.Dashed(IPAddress.Parse(address)))!.ToString());
        }
    }

    [Theory]
    [InlineData("7.0.42.10.in-addr.arpa", "10.42.0.7")]
    [InlineData("5.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.8.b.d.0.1.0.0.2.ip6.arpa", "2001:db8::5")]
    [InlineData("0.42.10.in-addr.arpa", null)]
    [InlineData("300.0.42.10.in-addr.arpa", null)]
    public void Reverse_names_parse_to_addresses(string name, string? address) =>
        Assert.Equal(address is null ? null : IPAddress.Parse(address), Navarch.Dns.Zone.ClusterZone.ParseReverse(ARSoft.Tools.Net.DomainName.Parse(name)));
}
