using System.Text.Json;

namespace Navarch.Controllers.History;

/// <summary>Deep copies through JSON, so objects from an informer's cache are never mutated.</summary>
internal static class Copies
{
    public static T Deep<T>(T value) =>
        JsonSerializer.Deserialize<T>(JsonSerializer.Serialize(value, Navarch.Api.KubernetesSerialization.Options), Navarch.Api.KubernetesSerialization.Options)!;
}
