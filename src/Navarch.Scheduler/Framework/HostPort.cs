namespace Navarch.Scheduler.Framework;

/// <summary>A host port in use: address (0.0.0.0 for all), protocol, port.</summary>
internal readonly record struct HostPort(string Ip, string Protocol, int Port)
{
    /// <summary>Two uses clash when protocol and port match and either binds every address.</summary>
    public bool ConflictsWith(HostPort other) =>
        Port == other.Port && Protocol == other.Protocol && (Ip == other.Ip || Ip == "0.0.0.0" || other.Ip == "0.0.0.0");
}
