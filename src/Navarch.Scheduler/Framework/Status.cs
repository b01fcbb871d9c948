namespace Navarch.Scheduler.Framework;

/// <summary>A plugin's verdict: a code, the reasons shown to users, and the plugin that said so. Never an exception.</summary>
internal sealed class Status
{
    /// <summary>The one success value.</summary>
    public static readonly Status Success = new(StatusCode.Success, []);

    /// <summary>The shared skip value.</summary>
    public static readonly Status Skip = new(StatusCode.Skip, []);

    public Status(StatusCode code, IReadOnlyList<string> reasons, string plugin = "")
    {
        Code = code;
        Reasons = reasons;
        Plugin = plugin;
    }

    public StatusCode Code { get; }

    public IReadOnlyList<string> Reasons { get; }

    public string Plugin { get; private set; }

    public bool IsSuccess => Code == StatusCode.Success;

    public bool IsRejected => Code is StatusCode.Unschedulable or StatusCode.UnschedulableAndUnresolvable;

    public string Message => string.Join(", ", Reasons);

    public static Status Unschedulable(params string[] reasons) => new(StatusCode.Unschedulable, reasons);

    public static Status Unresolvable(params string[] reasons) => new(StatusCode.UnschedulableAndUnresolvable, reasons);

    public static Status Error(string reason) => new(StatusCode.Error, [reason]);

    /// <summary>This status, attributed to <paramref name="plugin"/> (the shared Success/Skip values stay as they are).</summary>
    public Status From(string plugin)
    {
        if (Code is StatusCode.Success or StatusCode.Skip || Plugin.Length > 0)
        {
            return this;
        }

        return new Status(Code, Reasons, plugin);
    }

    public override string ToString() => $"{Code}: {Message}";
}
