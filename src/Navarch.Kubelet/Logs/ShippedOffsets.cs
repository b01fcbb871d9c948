using System.Text.Json;
using System.Text.Json.Serialization;

namespace Navarch.Kubelet.Logs;

/// <summary>
/// How far each CRI log file has been shipped (and the labels of its pod, which are gone from the API once the pod
/// is), kept in <c>DATA/agent/logship/offsets.json</c> (0700 folder, 0600 file, replaced whole by a rename) so an agent
/// that restarts goes on where the server last acknowledged, neither repeating nor skipping lines.
/// </summary>
internal sealed class ShippedOffsets
{
    private const UnixFileMode PrivateFile = UnixFileMode.UserRead | UnixFileMode.UserWrite;
    private const UnixFileMode PrivateDirectory = PrivateFile | UnixFileMode.UserExecute;
    private readonly string _path;

    private ShippedOffsets(string path, Dictionary<string, ShippedFile> files)
    {
        _path = path;
        Files = files;
    }

    /// <summary>The files by their path under the pod log folder.</summary>
    public Dictionary<string, ShippedFile> Files { get; }

    /// <summary>Reads the offsets in <paramref name="directory"/> (none when absent or unreadable: shipping starts over).</summary>
    public static ShippedOffsets Load(string directory)
    {
        Directory.CreateDirectory(directory, PrivateDirectory);
        File.SetUnixFileMode(directory, PrivateDirectory);
        string path = Path.Combine(directory, "offsets.json");
        Dictionary<string, ShippedFile>? files = null;
        try
        {
            files = JsonSerializer.Deserialize<Dictionary<string, ShippedFile>>(File.ReadAllBytes(path));
        }
        catch (Exception e) when (e is FileNotFoundException or JsonException)
        {
            // No state yet, or a torn one from before renames: every file is shipped from its start; the server drops
            // what it already has by offset.
        }

        return new ShippedOffsets(path, files ?? new Dictionary<string, ShippedFile>(StringComparer.Ordinal));
    }

    /// <summary>Writes the offsets (to a temporary file renamed over the old, so a crash leaves one or the other).</summary>
    public void Save()
    {
        string temporary = _path + ".tmp";
        using (var stream = new FileStream(temporary, new FileStreamOptions { Mode = FileMode.Create, Access = FileAccess.Write, UnixCreateMode = PrivateFile }))
        {
            JsonSerializer.Serialize(stream, Files);
        }

        File.Move(temporary, _path, overwrite: true);
    }

    /// <summary>One file's progress.</summary>
    internal sealed class ShippedFile
    {
        /// <summary>The byte offset shipped up to (and acknowledged).</summary>
        [JsonPropertyName("offset")]
        public long Offset { get; set; }

        /// <summary>The pod's labels when last known.</summary>
        [JsonPropertyName("labels")]
        public Dictionary<string, string>? Labels { get; set; }
    }
}
