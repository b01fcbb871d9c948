namespace Navarch.ApiServer.Admission.PodSecurity;

/// <summary>Parsing and printing of <see cref="Level"/> as the namespace labels spell it.</summary>
internal static class Levels
{
    /// <summary>The error detail of a label value that is not a level.</summary>
    public const string Invalid = "must be one of privileged, baseline, restricted";

    /// <summary>The level a label value names, or null (Kubernetes then evaluates restricted and reports the error).</summary>
    public static Level? Parse(string value) => value switch
    {
        "privileged" => Level.Privileged,
        "baseline" => Level.Baseline,
        "restricted" => Level.Restricted,
        _ => null,
    };

    /// <summary>The label spelling of a level.</summary>
    public static string Name(Level level) => level switch
    {
        Level.Privileged => "privileged",
        Level.Baseline => "baseline",
        _ => "restricted",
    };
}
