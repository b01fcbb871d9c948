using System.Text.Json;

namespace Navarch.Controllers;

/// <summary>Deep copies of cached objects (never mutate what an informer hands out), and the API's time resolution.</summary>
internal static class ModelCopies
{
    /// <summary>A deep copy through the API's JSON form.</summary>
    public static T Copy<T>(T value)
        where T : class =>
        JsonSerializer.Deserialize<T>(JsonSerializer.Serialize(value, Navarch.Api.KubernetesSerialization.Options), Navarch.Api.KubernetesSerialization.Options)!;

    /// <summary>The current time, truncated to whole seconds as the API stores it.</summary>
    public static DateTime Now(TimeProvider time)
    {
        DateTime now = time.GetUtcNow().UtcDateTime;
        return new DateTime(now.Ticks - (now.Ticks % TimeSpan.TicksPerSecond), DateTimeKind.Utc);
    }

    /// <summary>A UTC <see cref="DateTime"/> from the models as a <see cref="DateTimeOffset"/>.</summary>
    public static DateTimeOffset Utc(DateTime value) => new(DateTime.SpecifyKind(value, DateTimeKind.Utc));
}
