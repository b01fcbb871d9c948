namespace Navarch.ApiServer.Admission.PodSecurity;

/// <summary>A level at a version, printed as in Kubernetes' messages: <c>restricted:latest</c>, <c>baseline:v1.25</c>.</summary>
internal readonly record struct LevelVersion(Level Level, PolicyVersion Version)
{
    /// <summary>privileged:latest, the default of every mode.</summary>
    public static LevelVersion PrivilegedLatest => new(Level.Privileged, PolicyVersion.Latest);

    /// <inheritdoc />
    public override string ToString() => $"{Levels.Name(Level)}:{Version}";
}
