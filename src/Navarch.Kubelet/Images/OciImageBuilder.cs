using System.Formats.Tar;
using System.IO.Compression;
using System.Security.Cryptography;
using System.Text.Json;
using System.Text.Json.Nodes;

namespace Navarch.Kubelet.Images;

/// <summary>
/// Builds a single-layer OCI image as a tarball of an OCI image layout (oci-layout, index.json, blobs/sha256/...),
/// which <c>ctr images import</c> (and any OCI tool) reads. Reproducible: entries are sorted, owned by root and
/// dated at the Unix epoch, so the same folder always gives the same digests.
/// </summary>
public static class OciImageBuilder
{
    private const string DefaultPath = "PATH=/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin";

    /// <summary>Writes the image layout tarball of <paramref name="spec"/> to <paramref name="output"/>; returns the manifest digest.</summary>
    public static async Task<string> BuildAsync(OciImageSpec spec, Stream output, CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(spec);
        ArgumentNullException.ThrowIfNull(output);
        if (!Directory.Exists(spec.RootDirectory))
        {
            throw new DirectoryNotFoundException($"image root {spec.RootDirectory} does not exist");
        }

        // The layer: an uncompressed tar (its digest is the diff ID) gzip-compressed (its digest names the blob).
        using var tar = new MemoryStream();
        await WriteLayerAsync(spec.RootDirectory, tar, cancellationToken).ConfigureAwait(false);
        string diffId = Digest(tar.GetBuffer().AsSpan(0, (int)tar.Length));
        using var gz = new MemoryStream();
        await using (var zip = new GZipStream(gz, CompressionLevel.Optimal, leaveOpen: true))
        {
            tar.Position = 0;
            await tar.CopyToAsync(zip, cancellationToken).ConfigureAwait(false);
        }

        byte[] layer = gz.ToArray();
        byte[] config = Json(new JsonObject
        {
            ["architecture"] = spec.Architecture,
            ["os"] = "linux",
            ["created"] = "1970-01-01T00:00:00Z",
            ["config"] = RunConfig(spec),
            ["rootfs"] = new JsonObject { ["type"] = "layers", ["diff_ids"] = new JsonArray(diffId) },
            ["history"] = new JsonArray(new JsonObject { ["created"] = "1970-01-01T00:00:00Z", ["created_by"] = "navarch images build" }),
        });
        byte[] manifest = Json(new JsonObject
        {
            ["schemaVersion"] = 2,
            ["mediaType"] = OciMediaTypes.Manifest,
            ["config"] = Descriptor(OciMediaTypes.Config, config),
            ["layers"] = new JsonArray(Descriptor(OciMediaTypes.LayerGzip, layer)),
        });
        JsonObject manifestDescriptor = Descriptor(OciMediaTypes.Manifest, manifest);
        manifestDescriptor["annotations"] = new JsonObject
        {
            [OciMediaTypes.ContainerdImageNameAnnotation] = spec.Name,
            [OciMediaTypes.RefNameAnnotation] = ImageReference.Tag(spec.Name),
        };
        byte[] index = Json(new JsonObject
        {
            ["schemaVersion"] = 2,
            ["mediaType"] = OciMediaTypes.Index,
            ["manifests"] = new JsonArray(manifestDescriptor),
        });

        await using var writer = new TarWriter(output, TarEntryFormat.Pax, leaveOpen: true);
        await AddFileAsync(writer, "oci-layout", """{"imageLayoutVersion":"1.0.0"}"""u8.ToArray(), cancellationToken).ConfigureAwait(false);
        await AddDirectoryAsync(writer, "blobs/", cancellationToken).ConfigureAwait(false);
        await AddDirectoryAsync(writer, "blobs/sha256/", cancellationToken).ConfigureAwait(false);
        foreach (byte[] blob in new[] { layer, config, manifest })
        {
            await AddFileAsync(writer, "blobs/sha256/" + Digest(blob)["sha256:".Length..], blob, cancellationToken).ConfigureAwait(false);
        }

        await AddFileAsync(writer, "index.json", index, cancellationToken).ConfigureAwait(false);
        return Digest(manifest);
    }

    /// <summary>Builds <paramref name="spec"/> into the file <paramref name="path"/>.</summary>
    public static async Task<string> BuildFileAsync(OciImageSpec spec, string path, CancellationToken cancellationToken = default)
    {
        await using FileStream file = File.Create(path);
        return await BuildAsync(spec, file, cancellationToken).ConfigureAwait(false);
    }

    /// <summary>The OCI digest (<c>sha256:HEX</c>) of some bytes.</summary>
    public static string Digest(ReadOnlySpan<byte> data) => "sha256:" + Convert.ToHexStringLower(SHA256.HashData(data));

    private static JsonObject RunConfig(OciImageSpec spec)
    {
        var env = new JsonArray();
        if (!spec.Env.Any(e => e.StartsWith("PATH=", StringComparison.Ordinal)))
        {
            env.Add(DefaultPath);
        }

        foreach (string e in spec.Env)
        {
            env.Add(e);
        }

        var run = new JsonObject { ["Env"] = env };
        if (spec.Entrypoint.Count > 0)
        {
            run["Entrypoint"] = new JsonArray([.. spec.Entrypoint.Select(s => (JsonNode?)s)]);
        }

        if (spec.Cmd.Count > 0)
        {
            run["Cmd"] = new JsonArray([.. spec.Cmd.Select(s => (JsonNode?)s)]);
        }

        if (spec.WorkingDir.Length > 0)
        {
            run["WorkingDir"] = spec.WorkingDir;
        }

        return run;
    }

    private static JsonObject Descriptor(string mediaType, byte[] blob) => new()
    {
        ["mediaType"] = mediaType,
        ["digest"] = Digest(blob),
        ["size"] = blob.LongLength,
    };

    // Plain '+' in media types rather than \u002B: the same JSON, but as other OCI tools write it.
    private static readonly JsonSerializerOptions JsonOptions = new() { Encoder = System.Text.Encodings.Web.JavaScriptEncoder.UnsafeRelaxedJsonEscaping };

    private static byte[] Json(JsonNode node) => JsonSerializer.SerializeToUtf8Bytes(node, JsonOptions);

    private static async Task WriteLayerAsync(string root, Stream output, CancellationToken cancellationToken)
    {
        await using var writer = new TarWriter(output, TarEntryFormat.Pax, leaveOpen: true);
        await WriteTreeAsync(writer, new DirectoryInfo(root), "", cancellationToken).ConfigureAwait(false);
    }

    private static async Task WriteTreeAsync(TarWriter writer, DirectoryInfo dir, string prefix, CancellationToken cancellationToken)
    {
        foreach (FileSystemInfo item in dir.EnumerateFileSystemInfos().OrderBy(i => i.Name, StringComparer.Ordinal))
        {
            string name = prefix + item.Name;
            UnixFileMode mode = item.UnixFileMode;
            if (item.LinkTarget is { } target)
            {
                await writer.WriteEntryAsync(Stamp(new PaxTarEntry(TarEntryType.SymbolicLink, name) { LinkName = target, Mode = mode }), cancellationToken).ConfigureAwait(false);
            }
            else if (item is DirectoryInfo sub)
            {
                await writer.WriteEntryAsync(Stamp(new PaxTarEntry(TarEntryType.Directory, name + "/") { Mode = mode }), cancellationToken).ConfigureAwait(false);
                await WriteTreeAsync(writer, sub, name + "/", cancellationToken).ConfigureAwait(false);
            }
            else
            {
                await using FileStream content = File.OpenRead(item.FullName);
                await writer.WriteEntryAsync(Stamp(new PaxTarEntry(TarEntryType.RegularFile, name) { Mode = mode, DataStream = content }), cancellationToken).ConfigureAwait(false);
            }
        }
    }

    private static Task AddFileAsync(TarWriter writer, string name, byte[] content, CancellationToken cancellationToken)
    {
        var entry = new PaxTarEntry(TarEntryType.RegularFile, name)
        {
            Mode = UnixFileMode.UserRead | UnixFileMode.UserWrite | UnixFileMode.GroupRead | UnixFileMode.OtherRead,
            DataStream = new MemoryStream(content, writable: false),
        };
        return writer.WriteEntryAsync(Stamp(entry), cancellationToken);
    }

    private static Task AddDirectoryAsync(TarWriter writer, string name, CancellationToken cancellationToken) =>
        writer.WriteEntryAsync(Stamp(new PaxTarEntry(TarEntryType.Directory, name) { Mode = (UnixFileMode)0b111_101_101 }), cancellationToken);

    private static PaxTarEntry Stamp(PaxTarEntry entry)
    {
        entry.ModificationTime = DateTimeOffset.UnixEpoch;
        entry.Uid = 0;
        entry.Gid = 0;
        entry.UserName = "root";
        entry.GroupName = "root";
        return entry;
    }
}
