using System.Text;
using k8s.Models;
using Navarch.Kubelet.Cri.V1;
using Navarch.Kubelet.Images;

namespace Navarch.Kubelet.Tests;

/// <summary>Matching imagePullSecrets to images, as Kubernetes' credentialprovider keyring does.</summary>
[Trait("Category", "Unit")]
public sealed class PullCredentialsTests
{
    private static V1Secret DockerConfigJson(string auths) => new()
    {
        Type = "kubernetes.io/dockerconfigjson",
        Data = new Dictionary<string, byte[]> { [".dockerconfigjson"] = Encoding.UTF8.GetBytes("{\"auths\":" + auths + "}") },
    };

    private static string[] Users(PullCredentials keyring, string image) => keyring.Lookup(image).Select(a => a.Username).ToArray();

    [Theory]
    [InlineData("busybox", "docker.io/library/busybox")]
    [InlineData("busybox:1.35", "docker.io/library/busybox")]
    [InlineData("team/app:v1", "docker.io/team/app")]
    [InlineData("docker.io/library/busybox:1.35", "docker.io/library/busybox")]
    [InlineData("index.docker.io/team/app", "docker.io/team/app")]
    [InlineData("localhost/app", "localhost/app")]
    [InlineData("127.0.0.1:5000/team/app:1.0@sha256:abc", "127.0.0.1:5000/team/app")]
    [InlineData("registry.example.com/a/b/c", "registry.example.com/a/b/c")]
    public void Images_name_their_registry(string image, string repository) =>
        Assert.Equal(repository, PullCredentials.Repository(image));

    [Fact]
    public void Keys_match_by_host_glob_port_and_path_prefix_most_specific_first()
    {
        PullCredentials keyring = PullCredentials.From(
        [
            DockerConfigJson("""
                {
                  "registry.example.com": {"username": "host", "password": "p"},
                  "https://registry.example.com/team": {"username": "team", "password": "p"},
                  "*.mirror.example.com": {"username": "glob", "password": "p"},
                  "127.0.0.1:5000": {"auth": "dXNlcjpwYXNz"},
                  "https://index.docker.io/v1/": {"username": "hub", "password": "p"}
                }
                """),
        ]);

        Assert.Equal(["team", "host"], Users(keyring, "registry.example.com/team/app:1"));
        Assert.Equal(["host"], Users(keyring, "registry.example.com/other/app"));
        Assert.Equal(["glob"], Users(keyring, "eu.mirror.example.com/app"));
        Assert.Empty(Users(keyring, "mirror.example.com/app"));
        Assert.Equal(["hub"], Users(keyring, "busybox:1.35"));
        Assert.Equal(["hub"], Users(keyring, "docker.io/team/app"));
        Assert.Empty(Users(keyring, "127.0.0.1:5001/app"));
        AuthConfig local = Assert.Single(keyring.Lookup("127.0.0.1:5000/team/busybox:1.35"));
        Assert.Equal(("user", "pass", "dXNlcjpwYXNz"), (local.Username, local.Password, local.Auth));
    }

    [Fact]
    public void Legacy_dockercfg_is_read_and_other_secrets_are_ignored()
    {
        var legacy = new V1Secret
        {
            Type = "kubernetes.io/dockercfg",
            Data = new Dictionary<string, byte[]> { [".dockercfg"] = """{"quay.example.org": {"username": "old", "password": "p"}}"""u8.ToArray() },
        };
        var opaque = new V1Secret { Type = "Opaque", Data = new Dictionary<string, byte[]> { [".dockerconfigjson"] = """{"auths":{"quay.example.org":{"username":"no"}}}"""u8.ToArray() } };
        var broken = new V1Secret { Type = "kubernetes.io/dockerconfigjson", Data = new Dictionary<string, byte[]> { [".dockerconfigjson"] = "{"u8.ToArray() } };

        PullCredentials keyring = PullCredentials.From([opaque, broken, legacy]);

        Assert.Equal(["old"], Users(keyring, "quay.example.org/app"));
        Assert.Empty(PullCredentials.From([opaque, broken]).Lookup("quay.example.org/app"));
    }
}
