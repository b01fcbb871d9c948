using k8s.Models;
using Navarch.Kubelet.Pods;
using Navarch.Kubelet.Volumes;

namespace Navarch.Kubelet.Tests;

/// <summary>The pure parts of volumes and environment: $(VAR) expansion, Service variable names, the atomic writer, downward API formatting, hostPath checks.</summary>
[Trait("Category", "Unit")]
public sealed class VolumeEnvLogicTests : IDisposable
{
    private readonly DirectoryInfo _dir = Directory.CreateTempSubdirectory("nv-volumes-");

    public void Dispose() => _dir.Delete(recursive: true);

    public static TheoryData<string, string> Expansions => new()
    {
        { "$(A)", "1" },
        { "x$(A)y$(B)z", "x1y2z" },
        { "$$(A)", "$(A)" },
        { "$$$(A)", "$1" },
        { "$(UNKNOWN)", "$(UNKNOWN)" },
        { "$(A", "$(A" },
        { "$A", "$A" },
        { "a$", "a$" },
        { "$()", "$()" },
        { "$(A)$(A)", "11" },
    };

    [Theory]
    [MemberData(nameof(Expansions))]
    public void Var_expansion_follows_kubernetes(string input, string expected) =>
        Assert.Equal(expected, PodRuntimeConfig.Expand(input, new Dictionary<string, string> { ["A"] = "1", ["B"] = "2" }));

    [Fact]
    public void Service_variables_are_named_like_the_kubelet()
    {
        var svc = new V1Service
        {
            Metadata = new V1ObjectMeta { Name = "my-svc", NamespaceProperty = "ns" },
            Spec = new V1ServiceSpec { ClusterIP = "10.43.0.7", Ports = [new V1ServicePort { Name = "http-api", Port = 80 }, new V1ServicePort { Port = 53, Protocol = "UDP" }] },
        };
        var env = ContainerEnvironmentServices.Variables(svc).ToDictionary(v => v.Key, v => v.Value);
        Assert.Equal(new Dictionary<string, string>
        {
            ["MY_SVC_SERVICE_HOST"] = "10.43.0.7",
            ["MY_SVC_SERVICE_PORT"] = "80",
            ["MY_SVC_SERVICE_PORT_HTTP_API"] = "80",
            ["MY_SVC_PORT"] = "tcp://10.43.0.7:80",
            ["MY_SVC_PORT_80_TCP"] = "tcp://10.43.0.7:80",
            ["MY_SVC_PORT_80_TCP_PROTO"] = "tcp",
            ["MY_SVC_PORT_80_TCP_PORT"] = "80",
            ["MY_SVC_PORT_80_TCP_ADDR"] = "10.43.0.7",
            ["MY_SVC_PORT_53_UDP"] = "udp://10.43.0.7:53",
            ["MY_SVC_PORT_53_UDP_PROTO"] = "udp",
            ["MY_SVC_PORT_53_UDP_PORT"] = "53",
            ["MY_SVC_PORT_53_UDP_ADDR"] = "10.43.0.7",
        }, env);
    }

    [Fact]
    public void Service_links_cover_the_namespace_and_the_kubernetes_service_unless_disabled()
    {
        V1Service Svc(string ns, string name, string ip = "10.43.0.9") => new() { Metadata = new V1ObjectMeta { Name = name, NamespaceProperty = ns }, Spec = new V1ServiceSpec { ClusterIP = ip, Ports = [new V1ServicePort { Port = 443 }] } };
        V1Service[] services = [Svc("default", "kubernetes", "10.43.0.1"), Svc("app", "db"), Svc("other", "cache"), Svc("app", "headless", "None")];
        var pod = new V1Pod { Metadata = new V1ObjectMeta { Name = "p", NamespaceProperty = "app" }, Spec = new V1PodSpec() };
        Dictionary<string, string> env = ContainerEnvironmentServices.For(pod, services);
        Assert.Equal("10.43.0.1", env["KUBERNETES_SERVICE_HOST"]);
        Assert.Equal("10.43.0.9", env["DB_SERVICE_HOST"]);
        Assert.DoesNotContain("CACHE_SERVICE_HOST", env.Keys);
        Assert.DoesNotContain("HEADLESS_SERVICE_HOST", env.Keys);

        pod.Spec.EnableServiceLinks = false;
        env = ContainerEnvironmentServices.For(pod, services);
        Assert.Equal("10.43.0.1", env["KUBERNETES_SERVICE_HOST"]);
        Assert.DoesNotContain("DB_SERVICE_HOST", env.Keys);
    }

    [Theory]
    [InlineData("A", true)]
    [InlineData("my.var-1", true)]
    [InlineData("_x", true)]
    [InlineData("1abc", false)]
    [InlineData("a b", false)]
    [InlineData("", false)]
    public void Env_var_names_are_checked(string name, bool valid) => Assert.Equal(valid, ContainerEnvironment.IsEnvVarName(name));

    private static Dictionary<string, VolumeFile> Payload(params (string Path, string Text)[] files) =>
        files.ToDictionary(f => f.Path, f => new VolumeFile(System.Text.Encoding.UTF8.GetBytes(f.Text), Convert.ToInt32("644", 8)));

    [Fact]
    public void Atomic_writer_swaps_the_data_link_and_keeps_visible_links()
    {
        string dir = _dir.FullName;
        var now = new DateTimeOffset(2026, 11, 23, 20, 0, 0, TimeSpan.Zero);
        Assert.True(AtomicWriter.Write(dir, Payload(("a", "1"), ("sub/b", "2")), now));
        string first = new FileInfo(Path.Combine(dir, "..data")).LinkTarget!;
        Assert.StartsWith("..2026_11_23_20_00_00.", first, StringComparison.Ordinal);
        Assert.Equal("..data/a", new FileInfo(Path.Combine(dir, "a")).LinkTarget);
        Assert.Equal("1", File.ReadAllText(Path.Combine(dir, "a")));
        Assert.Equal("2", File.ReadAllText(Path.Combine(dir, "sub", "b")));

        // The same payload writes nothing.
        Assert.False(AtomicWriter.Write(dir, Payload(("a", "1"), ("sub/b", "2")), now.AddSeconds(10)));
        Assert.Equal(first, new FileInfo(Path.Combine(dir, "..data")).LinkTarget);

        // A change: a new folder, the old one removed, a dropped key's link removed.
        Assert.True(AtomicWriter.Write(dir, Payload(("a", "changed"), ("c", "3")), now.AddSeconds(20)));
        string second = new FileInfo(Path.Combine(dir, "..data")).LinkTarget!;
        Assert.NotEqual(first, second);
        Assert.False(Directory.Exists(Path.Combine(dir, first)));
        Assert.Equal("changed", File.ReadAllText(Path.Combine(dir, "a")));
        Assert.Equal("3", File.ReadAllText(Path.Combine(dir, "c")));
        Assert.False(Directory.Exists(Path.Combine(dir, "sub")) || File.Exists(Path.Combine(dir, "sub")));
        Assert.Equal(new[] { "..data", "a", "c", second }.Order(StringComparer.Ordinal), Directory.EnumerateFileSystemEntries(dir).Select(Path.GetFileName).Order(StringComparer.Ordinal));
    }

    [Theory]
    [InlineData("/abs")]
    [InlineData("../up")]
    [InlineData("a/../../b")]
    [InlineData("..hidden")]
    [InlineData("")]
    public void Atomic_writer_refuses_bad_paths(string path) =>
        Assert.Throws<ArgumentException>(() => AtomicWriter.Write(_dir.FullName, Payload((path, "x")), DateTimeOffset.UnixEpoch));

    [Fact]
    public void Downward_api_formats_maps_and_resources_like_the_kubelet()
    {
        Assert.Equal("a=\"1\"\nb=\"say \\\"hi\\\"\"", DownwardApi.FormatMap(new Dictionary<string, string> { ["b"] = "say \"hi\"", ["a"] = "1" }));
        var pod = new V1Pod
        {
            Metadata = new V1ObjectMeta { Name = "p", NamespaceProperty = "ns", Uid = "u", Labels = new Dictionary<string, string> { ["app"] = "x" } },
            Spec = new V1PodSpec
            {
                Containers =
                [
                    new V1Container
                    {
                        Name = "c",
                        Resources = new V1ResourceRequirements
                        {
                            Limits = new Dictionary<string, ResourceQuantity> { ["cpu"] = new("1500m"), ["memory"] = new("64Mi") },
                            Requests = new Dictionary<string, ResourceQuantity> { ["cpu"] = new("250m") },
                        },
                    },
                ],
            },
        };
        Assert.Equal("2", DownwardApi.Resource(pod, "c", "limits.cpu", null));
        Assert.Equal("1500", DownwardApi.Resource(pod, "c", "limits.cpu", new ResourceQuantity("1m")));
        Assert.Equal("1", DownwardApi.Resource(pod, "c", "requests.cpu", null));
        Assert.Equal("64", DownwardApi.Resource(pod, "c", "limits.memory", new ResourceQuantity("1Mi")));
        Assert.Equal("0", DownwardApi.Resource(pod, "c", "requests.memory", null));
        pod.Spec.Containers[0].Resources.Limits.Remove("memory");
        Assert.Equal(Node.HostInfo.MemoryBytes().ToString(System.Globalization.CultureInfo.InvariantCulture), DownwardApi.Resource(pod, "c", "limits.memory", null));
        Assert.Equal("x", DownwardApi.Field(pod, "metadata.labels['app']", null, "10.0.0.1"));
        Assert.Equal("", DownwardApi.Field(pod, "metadata.annotations['none']", null, "10.0.0.1"));
        Assert.Equal("10.0.0.1", DownwardApi.Field(pod, "status.hostIP", null, "10.0.0.1"));
        Assert.Null(DownwardApi.Field(pod, "spec.nope", null, "10.0.0.1"));
    }

    [Fact]
    public void Host_path_types_are_checked_and_created()
    {
        string dir = Path.Combine(_dir.FullName, "d");
        string file = Path.Combine(_dir.FullName, "f");
        Assert.Contains("is not a directory", Assert.Throws<VolumeSetupException>(() => HostPathCheck.Check(dir, "Directory")).Message, StringComparison.Ordinal);
        HostPathCheck.Check(dir, "DirectoryOrCreate");
        Assert.True(Directory.Exists(dir));
        HostPathCheck.Check(dir, "Directory");
        Assert.Contains("is not a file", Assert.Throws<VolumeSetupException>(() => HostPathCheck.Check(dir, "File")).Message, StringComparison.Ordinal);
        HostPathCheck.Check(file, "FileOrCreate");
        Assert.True(File.Exists(file));
        HostPathCheck.Check(file, "File");
        Assert.Contains("is not a socket file", Assert.Throws<VolumeSetupException>(() => HostPathCheck.Check(file, "Socket")).Message, StringComparison.Ordinal);
        string socket = Path.Combine(_dir.FullName, "s.sock");
        using (var listener = new System.Net.Sockets.Socket(System.Net.Sockets.AddressFamily.Unix, System.Net.Sockets.SocketType.Stream, System.Net.Sockets.ProtocolType.Unspecified))
        {
            listener.Bind(new System.Net.Sockets.UnixDomainSocketEndPoint(socket));
            HostPathCheck.Check(socket, "Socket");
        }

        HostPathCheck.Check("/dev/null", "CharDevice");
        Assert.Contains("is not a block device", Assert.Throws<VolumeSetupException>(() => HostPathCheck.Check("/dev/null", "BlockDevice")).Message, StringComparison.Ordinal);
        HostPathCheck.Check(Path.Combine(_dir.FullName, "anything"), null);
    }
}
