using System.Formats.Tar;
using System.IO.Compression;
using System.Text.Json;
using Navarch.Kubelet.Images;

namespace Navarch.Kubelet.Tests;

[Trait("Category", "Unit")]
public sealed class OciImageBuilderTests : IDisposable
{
    private readonly DirectoryInfo _root = Directory.CreateTempSubdirectory("navarch-oci-");

    public OciImageBuilderTests()
    {
        Directory.CreateDirectory(Path.Combine(_root.FullName, "bin"));
        File.WriteAllText(Path.Combine(_root.FullName, "bin", "tool"), "#!/bin/sh\necho hi\n");
        File.SetUnixFileMode(Path.Combine(_root.FullName, "bin", "tool"), (UnixFileMode)0b111_101_101);
        File.CreateSymbolicLink(Path.Combine(_root.FullName, "bin", "alias"), "tool");
        Directory.CreateDirectory(Path.Combine(_root.FullName, "tmp"));
    }

    public void Dispose() => _root.Delete(recursive: true);

    private OciImageSpec Spec(string name = "docker.io/library/test:1.0") => new()
    {
        Name = name,
        RootDirectory = _root.FullName,
        Entrypoint = ["/bin/tool"],
        Cmd = ["arg"],
        Env = ["A=b"],
        WorkingDir = "/tmp",
    };

    private static Dictionary<string, byte[]> ReadTar(Stream stream)
    {
        var files = new Dictionary<string, byte[]>(StringComparer.Ordinal);
        using var reader = new TarReader(stream);
        while (reader.GetNextEntry() is { } entry)
        {
            using var content = new MemoryStream();
            entry.DataStream?.CopyTo(content);
            files[entry.Name] = content.ToArray();
        }

        return files;
    }

    [Fact]
    public async Task Layout_has_index_manifest_config_and_layer_with_matching_digests()
    {
        using var tarball = new MemoryStream();
        string manifestDigest = await OciImageBuilder.BuildAsync(Spec(), tarball);
        tarball.Position = 0;
        Dictionary<string, byte[]> files = ReadTar(tarball);

        Assert.Equal("""{"imageLayoutVersion":"1.0.0"}""", System.Text.Encoding.UTF8.GetString(files["oci-layout"]));
        foreach ((string name, byte[] content) in files.Where(f => f.Key.StartsWith("blobs/sha256/", StringComparison.Ordinal) && f.Key.Length > "blobs/sha256/".Length))
        {
            Assert.Equal("sha256:" + name["blobs/sha256/".Length..], OciImageBuilder.Digest(content));
        }

        using JsonDocument index = JsonDocument.Parse(files["index.json"]);
        JsonElement descriptor = index.RootElement.GetProperty("manifests")[0];
        Assert.Equal(OciMediaTypes.Manifest, descriptor.GetProperty("mediaType").GetString());
        Assert.Equal(manifestDigest, descriptor.GetProperty("digest").GetString());
        Assert.Equal("docker.io/library/test:1.0", descriptor.GetProperty("annotations").GetProperty("io.containerd.image.name").GetString());
        Assert.Equal("1.0", descriptor.GetProperty("annotations").GetProperty("org.opencontainers.image.ref.name").GetString());

        byte[] manifestBytes = Blob(files, manifestDigest);
        Assert.Equal(descriptor.GetProperty("size").GetInt64(), manifestBytes.LongLength);
        using JsonDocument manifest = JsonDocument.Parse(manifestBytes);
        JsonElement layerDescriptor = manifest.RootElement.GetProperty("layers")[0];
        Assert.Equal(OciMediaTypes.LayerGzip, layerDescriptor.GetProperty("mediaType").GetString());
        byte[] layer = Blob(files, layerDescriptor.GetProperty("digest").GetString()!);
        Assert.Equal(layerDescriptor.GetProperty("size").GetInt64(), layer.LongLength);

        using JsonDocument config = JsonDocument.Parse(Blob(files, manifest.RootElement.GetProperty("config").GetProperty("digest").GetString()!));
        JsonElement run = config.RootElement.GetProperty("config");
        Assert.Equal("/bin/tool", run.GetProperty("Entrypoint")[0].GetString());
        Assert.Equal("arg", run.GetProperty("Cmd")[0].GetString());
        Assert.Equal("/tmp", run.GetProperty("WorkingDir").GetString());
        Assert.Contains(run.GetProperty("Env").EnumerateArray(), e => e.GetString()!.StartsWith("PATH=", StringComparison.Ordinal));
        Assert.Equal("linux", config.RootElement.GetProperty("os").GetString());

        // The diff ID is the digest of the uncompressed layer tar, which holds the folder.
        using var unzipped = new MemoryStream();
        using (var gz = new GZipStream(new MemoryStream(layer), CompressionMode.Decompress))
        {
            gz.CopyTo(unzipped);
        }

        Assert.Equal(config.RootElement.GetProperty("rootfs").GetProperty("diff_ids")[0].GetString(), OciImageBuilder.Digest(unzipped.ToArray()));
        unzipped.Position = 0;
        var entries = new Dictionary<string, TarEntry>(StringComparer.Ordinal);
        using (var reader = new TarReader(unzipped))
        {
            while (reader.GetNextEntry(copyData: true) is { } entry)
            {
                entries[entry.Name] = entry;
            }
        }

        Assert.Equal(TarEntryType.Directory, entries["bin/"].EntryType);
        Assert.Equal(TarEntryType.SymbolicLink, entries["bin/alias"].EntryType);
        Assert.Equal("tool", entries["bin/alias"].LinkName);
        Assert.Equal((UnixFileMode)0b111_101_101, entries["bin/tool"].Mode);
        Assert.Equal(0, entries["bin/tool"].Uid);
        Assert.Contains("tmp/", entries.Keys);
    }

    [Fact]
    public async Task Builds_are_reproducible()
    {
        using var first = new MemoryStream();
        using var second = new MemoryStream();
        string a = await OciImageBuilder.BuildAsync(Spec(), first);
        string b = await OciImageBuilder.BuildAsync(Spec(), second);
        Assert.Equal(a, b);
        Assert.Equal(first.ToArray(), second.ToArray());
    }

    [Fact]
    public async Task Missing_root_is_a_clear_error()
    {
        var spec = new OciImageSpec { Name = "x:1", RootDirectory = Path.Combine(_root.FullName, "nope") };
        var e = await Assert.ThrowsAsync<DirectoryNotFoundException>(() => OciImageBuilder.BuildAsync(spec, new MemoryStream()));
        Assert.Contains("nope", e.Message, StringComparison.Ordinal);
    }

    private static byte[] Blob(Dictionary<string, byte[]> files, string digest) => files["blobs/sha256/" + digest["sha256:".Length..]];

    public static TheoryData<string, string, string> References => new()
    {
        { "busybox:1.35", "1.35", "IfNotPresent" },
        { "busybox", "latest", "Always" },
        { "busybox:latest", "latest", "Always" },
        { "localhost:5000/app", "latest", "Always" },
        { "localhost:5000/app:v2", "v2", "IfNotPresent" },
        { "docker.io/library/busybox@sha256:abc", "", "IfNotPresent" },
    };

    [Theory]
    [MemberData(nameof(References))]
    public void Tags_and_default_pull_policies(string reference, string tag, string policy)
    {
        Assert.Equal(tag, ImageReference.Tag(reference));
        Assert.Equal(policy, ImageReference.DefaultPullPolicy(reference));
    }
}
