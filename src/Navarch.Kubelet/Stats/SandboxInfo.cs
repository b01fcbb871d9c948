using System.Text.Json;

namespace Navarch.Kubelet.Stats;

/// <summary>
/// What containerd's verbose <c>PodSandboxStatus</c> says of a sandbox in its <c>info</c> JSON that the CRI fields do not:
/// the pause process's <c>pid</c> (whose <c>/proc/&lt;pid&gt;/net/dev</c> is the pod's network) and its <c>image</c>.
/// </summary>
internal sealed record SandboxInfo(int Pid, string Image)
{
    /// <summary>The info, or null when absent or not containerd's shape.</summary>
    public static SandboxInfo? Parse(string? json)
    {
        if (string.IsNullOrEmpty(json))
        {
            return null;
        }

        try
        {
            using JsonDocument document = JsonDocument.Parse(json);
            JsonElement root = document.RootElement;
            return root.ValueKind == JsonValueKind.Object && root.TryGetProperty("pid", out JsonElement pid) && pid.TryGetInt32(out int value)
                ? new SandboxInfo(value, root.TryGetProperty("image", out JsonElement image) && image.ValueKind == JsonValueKind.String ? image.GetString()! : "")
                : null;
        }
        catch (JsonException)
        {
            return null;
        }
    }
}
